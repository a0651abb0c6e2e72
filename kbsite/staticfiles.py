"""Production static files storage: a file missing from the manifest does not fail
the page that links it.

ManifestStaticFilesStorage raises ValueError from `{% static %}` for a file that is not
in staticfiles.json (collectstatic not run, or run before an upgrade added the file),
so every page that links it is a 500. Readers are better served by the page with that
link unhashed: whitenoise serves the unhashed copy collectstatic also writes, or the
browser gets a 404 for one stylesheet. The system check (kbsite/checks.py) is what
tells the operator to run collectstatic.
"""

import logging
import threading

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger("kbsite.staticfiles")


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    _lock = threading.Lock()
    _reported: set[str] = set()

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError as exc:
            with self._lock:
                first = name not in self._reported
                self._reported.add(name)
            if first:  # once per file and process, not on every page
                logger.error(
                    "%s; linking it unhashed. Run `manage.py collectstatic`.", exc
                )
            return name
