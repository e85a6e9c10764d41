"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application wrapped in four layers that answer requests before
Django's request cycle runs (``byline.wsgi_layer``): the page layer, for
anonymous GETs of cached pages (``byline.pagecache.page_layer``); the beacon
layer, for the page script's view beacons, answered with the counts
(``byline.engagement.beacon_layer``); the counts layer, for GETs of the live
counts (``byline.engagement.counts_layer``); the vote layer, for same-origin
JSON votes (``byline.engagement.vote_layer``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

django_application = get_wsgi_application()  # sets Django up

# After Django is set up (the layers use the models):
from byline.engagement.beacon_layer import BeaconLayer  # noqa: E402
from byline.engagement.counts_layer import CountsLayer  # noqa: E402
from byline.engagement.vote_layer import VoteLayer  # noqa: E402
from byline.errors import WSGIErrorGuard  # noqa: E402
from byline.pagecache.page_layer import PageCacheApp  # noqa: E402

# The guard answers, in the site's error contract, what escapes the layers inside it.
application = WSGIErrorGuard(CountsLayer(PageCacheApp(BeaconLayer(VoteLayer(django_application)))))
