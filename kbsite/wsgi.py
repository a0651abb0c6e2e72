"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: say at start what would break pages (static files).
from kbsite.checks import report_at_startup  # noqa: E402  (needs the apps loaded)

report_at_startup()
