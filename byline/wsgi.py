"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application behind the site's dispatcher (``byline.wsgi_layer``),
which sends each request to the one part that owns its path: the live counts
(``byline.engagement.counts_layer``), the view beacon
(``byline.engagement.beacon_layer``) and the votes
(``byline.engagement.vote_layer``), each answered without Django's request
cycle when it can be; the page cache for every other GET or HEAD
(``byline.pagecache.page_layer``); Django for the rest.

Each production worker that imports this module also loads the spam model in the
background (``byline.workerstart``), so the first comment it checks does not.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

django_application = get_wsgi_application()  # sets Django up

# After Django is set up (the layers use the models):
from byline import workerstart  # noqa: E402
from byline.engagement import beacon_layer, counts_layer, vote_layer  # noqa: E402
from byline.pagecache.page_layer import PageCacheApp  # noqa: E402
from byline.wsgi_layer import Dispatcher, WSGIApp  # noqa: E402


def dispatcher(django: WSGIApp) -> Dispatcher:
    """The site in front of ``django``: the route table of ``/api/articles/<id>/<what>/``
    and the page cache for the other reads."""
    return Dispatcher(
        django,
        pages=PageCacheApp(django),
        routes={
            "engagement": counts_layer.answer_counts,
            "view": beacon_layer.answer_view,
            "reaction": vote_layer.answer_vote,
            "rating": vote_layer.answer_vote,
        },
    )


application = dispatcher(django_application)
workerstart.start_if_wanted()
