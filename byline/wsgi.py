"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application wrapped in the page cache, which answers anonymous GETs
for cached pages before Django runs (``byline.pagecache.wsgi``), and in the
fast path for same-origin JSON votes, which answers them without Django's
request cycle (``byline.engagement.fastpath``), and the page script's view
beacons, answered with the counts (``byline.engagement.leanviews``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

django_application = get_wsgi_application()  # sets Django up

# After Django is set up (the fast path uses the models):
from byline.engagement.fastpath import LeanVotes  # noqa: E402
from byline.engagement.leanviews import LeanViews  # noqa: E402
from byline.errors import WSGIErrorGuard  # noqa: E402
from byline.pagecache.wsgi import PageCacheApp  # noqa: E402

# The guard answers, in the site's error contract, what escapes the layers inside it.
application = WSGIErrorGuard(PageCacheApp(LeanViews(LeanVotes(django_application))))
