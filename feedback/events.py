"""Cheap event recording: hashed visitor ids and an in-process batching buffer.

A page view must not cost the reader a database write. Events go into a buffer that
is written with one `bulk_create` when it holds `KB_ANALYTICS_BATCH_SIZE` events or
its oldest event is `KB_ANALYTICS_FLUSH_SECONDS` old; the check runs when a request
has finished (after the response went out) and at process exit. A process killed hard
loses at most one batch of page views, which analytics can afford; feedback and
triage never go through the buffer.

An event recorded while a transaction is open is written at once, inside it: it then
commits or rolls back with the work around it (ATOMIC_REQUESTS, management commands,
tests), and the buffer never holds rows that a rollback made dangling. For the same
reason the buffer is never flushed from inside a transaction.
"""

import atexit
import hashlib
import hmac
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, transaction

logger = logging.getLogger(__name__)


def visitor_id(request) -> str:
    """A salted hash naming an anonymous visitor (address + browser); no raw IP."""
    raw = "|".join(
        [
            request.META.get("REMOTE_ADDR", ""),
            request.META.get("HTTP_USER_AGENT", "")[:300],
        ]
    )
    salt = settings.KB_ANALYTICS_SALT.encode()
    return hmac.new(salt, raw.encode(), hashlib.sha256).hexdigest()


def reader_fields(request) -> dict:
    """`user` for a logged-in reader, else `visitor`: how every event names readers."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"user_id": user.pk, "visitor": ""}
    return {"user_id": None, "visitor": visitor_id(request)}


class EventBuffer:
    """Model instances waiting for one `bulk_create` per model class."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list = []
        self._oldest = 0.0

    def __len__(self):
        return len(self._items)

    def add(self, obj) -> None:
        if transaction.get_connection().in_atomic_block:
            type(obj).objects.bulk_create([obj])
            return
        with self._lock:
            if not self._items:
                self._oldest = time.monotonic()
            self._items.append(obj)
            full = len(self._items) >= settings.KB_ANALYTICS_BATCH_SIZE
        if full:
            self.flush()

    def due(self) -> bool:
        return bool(self._items) and (
            time.monotonic() - self._oldest >= settings.KB_ANALYTICS_FLUSH_SECONDS
        )

    def flush(self) -> int:
        """Write everything buffered; returns how many events were written."""
        if not self._items or transaction.get_connection().in_atomic_block:
            return 0
        with self._lock:
            items, self._items = self._items, []
        by_model: dict[type, list] = {}
        for obj in items:
            by_model.setdefault(type(obj), []).append(obj)
        written = 0
        for model, objs in by_model.items():
            written += _write(model, objs)
        return written


def _write(model, objs) -> int:
    try:
        with transaction.atomic():
            model.objects.bulk_create(objs, batch_size=500)
        return len(objs)
    except DatabaseError:
        # Most likely a section or user deleted while its events waited: keep the
        # events whose references still exist.
        kept = [o for o in objs if _references_exist(o)]
        try:
            with transaction.atomic():
                model.objects.bulk_create(kept, batch_size=500)
        except DatabaseError:
            logger.exception("Dropped %d %s events", len(objs), model.__name__)
            return 0
        return len(kept)


def _references_exist(obj) -> bool:
    for fk in obj._meta.concrete_fields:
        value = getattr(obj, fk.attname) if fk.is_relation else None
        if value is not None:
            if not fk.related_model._base_manager.filter(pk=value).exists():
                return False
    return True


buffer = EventBuffer()


def flush_if_due(**kwargs) -> None:
    """request_finished receiver: write the buffer when its oldest event is due."""
    if buffer.due():
        buffer.flush()


def flush(**kwargs) -> int:
    return buffer.flush()


def _flush_at_exit() -> None:
    # The interpreter is going away: write what we can, quietly (logging streams
    # may already be closed, and a test run's database may already be gone).
    if not buffer:
        return
    logging.disable(logging.CRITICAL)
    try:
        buffer.flush()
    except Exception:  # noqa: S110 - nothing useful can be done at exit
        pass


atexit.register(_flush_at_exit)
