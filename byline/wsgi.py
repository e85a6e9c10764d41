"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application wrapped in the page cache, which answers anonymous GETs
for cached pages before Django runs (``byline.pagecache.wsgi``), and in the
lean path for same-origin JSON votes, which skips the middleware a vote has
no use for (``byline.engagement.fastpath``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

# After the settings module is set:
from byline.engagement.fastpath import LeanVotes  # noqa: E402
from byline.pagecache.wsgi import PageCacheApp  # noqa: E402

application = PageCacheApp(LeanVotes(get_wsgi_application()))
