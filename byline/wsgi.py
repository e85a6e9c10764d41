"""WSGI entry point for gunicorn or granian: ``byline.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "byline.settings")

application = get_wsgi_application()
