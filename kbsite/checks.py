"""System checks of the deployment: static files must be collected before serving.

With the manifest storage of production, pages link static files through
staticfiles.json, which `manage.py collectstatic` writes. The check runs with every
`manage.py check` (--deploy too), `runserver` and `migrate`, and at web server start
(kbsite/wsgi.py calls `report_at_startup`).
"""

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.files.storage import storages

TAG = "static_manifest"  # not Tags.staticfiles: collectstatic itself runs those
logger = logging.getLogger("kbsite.checks")


@checks.register(TAG)
def check_static_files_collected(app_configs=None, **kwargs):
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []  # development: files are served from the app folders
    manifest = storage.manifest_storage.path(storage.manifest_name)
    if storage.manifest_storage.exists(storage.manifest_name):
        return []
    return [
        checks.Warning(
            "Static files are not collected: run `manage.py collectstatic`.",
            hint=(
                f"The manifest {manifest} does not exist, so pages are served "
                "without their stylesheets and scripts "
                f"(STATIC_ROOT is {settings.STATIC_ROOT})."
            ),
            id="kbsite.W001",
        )
    ]


def report_at_startup() -> None:
    """Log what the deployment checks find, for servers that run none (gunicorn)."""
    for message in checks.run_checks(tags=[TAG]):
        if message.is_serious(checks.WARNING):
            logger.error("%s", message)
