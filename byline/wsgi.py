"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application behind the site's dispatcher (``byline.wsgi_layer``),
which sends each request to the one part that owns its path: the live counts
(``byline.engagement.counts_layer``), the view beacon
(``byline.engagement.beacon_layer``) and the votes
(``byline.engagement.vote_layer``) and a comment session that holds nothing of
the reader's (``byline.discussion.session_layer``), each answered without Django's request
cycle when it can be; the page cache for every other GET or HEAD
(``byline.pagecache.page_layer``); Django for the rest.

Importing it makes this a process that serves readers: its PostgreSQL
connections wait at most ``BYLINE_DATABASE_TIMEOUT`` on the server
(``byline.postgres``). Once it is built, what start-up made is frozen out of the garbage collector's
sight (``freeze_start_up``). Each production worker that imports this module also
builds its page store (its polling keeps the code's claim on nginx's page folder
fresh from the start) and loads the spam model in the background
(``byline.workerstart``), so the first comment it checks does not.
"""

import os

from django.core.wsgi import get_wsgi_application

from byline import postgres
from byline.gcfreeze import freeze_start_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")
postgres.serve()

django_application = get_wsgi_application()  # sets Django up

# After Django is set up (the layers use the models):
from byline import workerstart  # noqa: E402
from byline.discussion import session_layer  # noqa: E402
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
        paths={session_layer.SESSION_PATH: session_layer.answer_session},
    )


application = dispatcher(django_application)


freeze_start_up()
workerstart.start_page_store_if_wanted()
workerstart.start_if_wanted()
