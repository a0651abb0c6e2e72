"""A full disk answers with a plain 503 page that gives back what the user typed.

Without this a save on a full disk (SQLite's "database or disk is full", PostgreSQL's
disk_full, ENOSPC or a quota from the search index or media) is a bare "Server Error
(500)" with a traceback in the log for every request, and the editor's text is gone.
The middleware answers what views raise; `server_error` (handler500) what is raised
after them, such as saving the session.
"""

import errno
import logging
import sqlite3
import sys
import threading
import time

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger("kbsite.storage")

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
SQLITE_FULL_MESSAGE = "database or disk is full"
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def is_storage_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says storage is full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return True
        if isinstance(exc, OperationalError | sqlite3.OperationalError):
            if SQLITE_FULL_MESSAGE in str(exc).lower():
                return True
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                return True
        if getattr(exc, "sqlstate", None) == POSTGRES_DISK_FULL:  # psycopg DiskFull
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class StorageFullMiddleware:
    """Turns a storage-full exception from a view into a 503 page (JSON for scripts)
    showing the posted text, and logs it in one line, at most once a minute."""

    # Defined as class-level attributes to be subclassing-friendly.
    template_name = "503.html"
    status = 503
    retry_after = 60
    log_interval = 60  # seconds between two log lines while storage stays full
    # Posted fields people type into, with the label their form gives them. Hidden
    # copies (base_question, base_answer) and tokens are left out on purpose.
    kept_fields = {
        "title": gettext_lazy("Title"),
        "body": gettext_lazy("Body (Markdown)"),
        "message": gettext_lazy("What did you change?"),
        "question": gettext_lazy("Question"),
        "answer": gettext_lazy("Answer"),
        "text": gettext_lazy("Your question"),
        "details": gettext_lazy("Details (optional)"),
        "comment": gettext_lazy("Comment"),
        "note": gettext_lazy("Note"),
        "reason": gettext_lazy("Reason"),
    }
    long_fields = frozenset({"body", "answer", "details", "comment", "note"})

    _lock = threading.Lock()
    _last_logged = float("-inf")
    _unlogged = 0

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_storage_full(exception):
            return None
        return self.response_for(request, exception)

    def response_for(self, request, exception):
        self.log(request, exception)
        if self.wants_json(request):
            message = _(
                "The server cannot store data right now: its disk is full. Nothing "
                "was saved; please try again later."
            )
            response = JsonResponse(
                {"errors": {"__all__": [{"message": message, "code": "storage_full"}]}},
                status=self.status,
            )
        else:
            context = {
                "kept": self.kept_text(request),
                "back": request.get_full_path(),
                "LANGUAGE_CODE": get_language(),
            }
            # Rendered without the request: no context processor touches the database.
            html = render_to_string(self.template_name, context)
            response = HttpResponse(html, status=self.status)
        response["Retry-After"] = str(self.retry_after)
        # Logged above, in one line: Django's request logger need not log it again.
        response._has_been_logged = True
        return response

    def wants_json(self, request) -> bool:
        return request.headers.get("X-Requested-With") in {
            "fetch",
            "XMLHttpRequest",
        } or "application/json" in request.headers.get("Accept", "")

    def kept_text(self, request) -> list[dict]:
        if request.method != "POST":
            return []
        kept = []
        for name, label in self.kept_fields.items():
            value = request.POST.get(name, "")
            if value.strip():
                rows = 16 if name in self.long_fields else 2
                kept.append(
                    {"name": name, "label": label, "value": value, "rows": rows}
                )
        return kept

    def log(self, request, exception) -> None:
        cls = type(self)
        with cls._lock:
            now = time.monotonic()
            if now - cls._last_logged < self.log_interval:
                cls._unlogged += 1
                return
            unlogged, cls._unlogged, cls._last_logged = cls._unlogged, 0, now
        logger.error(
            "Storage full: %s %s failed with %s: %s (%d more since the last report)",
            request.method,
            request.path,
            type(exception).__name__,
            exception,
            unlogged,
        )


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: the 503 page for a full disk met outside a view (the session is
    saved after it), Django's plain 500 page (templates/500.html) otherwise."""
    exception = sys.exc_info()[1]
    if is_storage_full(exception):
        return StorageFullMiddleware(get_response=None).response_for(request, exception)
    return defaults.server_error(request, template_name)
