"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``.

Django's application wrapped in the page cache, which answers anonymous GETs
for cached pages before Django runs (``byline.pagecache.wsgi``).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

from byline.pagecache.wsgi import PageCacheApp  # noqa: E402  (after the settings module is set)

application = PageCacheApp(get_wsgi_application())
