"""Writing to and applying the search outbox (see models.IndexTask).

`enqueue` runs inside the content change's transaction. `apply_pending` builds the
documents *while holding the index's write lock*, after reading the task rows, so the
index always ends up with the newest committed state even when several processes apply
tasks at once; it deletes only the rows it read, so a row committed meanwhile stays for
the next run.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F

from . import get_search_backend
from .backends.base import IndexBusy
from .models import IndexTask
from .registry import document_key, get_builder

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def enqueue(*, doc_type: str, object_ids: Iterable) -> None:
    """Record that these objects changed; applied after commit when inline."""
    rows = [IndexTask(doc_type=doc_type, object_id=str(pk)) for pk in object_ids]
    if not rows:
        return
    IndexTask.objects.bulk_create(rows)
    if getattr(settings, "KB_SEARCH_INLINE", True):
        transaction.on_commit(_apply_after_commit)


def _apply_after_commit() -> None:
    # Never let indexing fail (or long delay) the request whose change has already
    # committed: wait briefly for the write lock, then leave the rows for the next
    # writer, the worker or `search_index --fix`.
    timeout = getattr(settings, "KB_SEARCH_INLINE_LOCK_TIMEOUT", 3.0)
    try:
        apply_pending(timeout=timeout)
    except IndexBusy:
        logger.warning("Search index busy; the outbox keeps the work for later.")
    except Exception:
        logger.exception("Search indexing failed; the outbox keeps the work.")


def apply_pending(
    *, limit: int = BATCH_SIZE, backend=None, timeout: float | None = None
) -> int:
    """Apply up to `limit` outbox rows; returns how many rows were applied.

    The rows are read and their documents built while holding the index's write
    lock. Raises IndexBusy when another process holds it too long (the rows stay);
    any other error counts an attempt on the rows, which stay, and re-raises.
    """
    backend = backend or get_search_backend()
    # Cheap check first: most calls (one per signal) find the outbox already empty.
    if not IndexTask.objects.exists():
        return 0
    tasks = []
    try:
        with backend.batch(timeout=timeout) as batch:
            tasks = list(IndexTask.objects.order_by("pk")[:limit])
            _apply(batch, tasks)
    except IndexBusy:
        raise
    except Exception as exc:
        IndexTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        raise
    # After the index commit: a crash right here only means the rows are applied
    # once more later, which is harmless.
    IndexTask.objects.filter(pk__in=[t.pk for t in tasks]).delete()
    return len(tasks)


def _apply(batch, tasks) -> None:
    by_type: dict[str, set[str]] = {}
    for task in tasks:
        by_type.setdefault(task.doc_type, set()).add(task.object_id)
    for doc_type, ids in by_type.items():
        builder = get_builder(doc_type)
        if builder is None:
            logger.warning("No search document builder for %r; dropping.", doc_type)
            continue
        found = set()
        for document in builder.documents(sorted(ids, key=_sort_key)):
            batch.index(document)
            found.add(str(document.object_id))
        for object_id in ids - found:
            batch.delete(document_key(doc_type, object_id))


def _sort_key(value: str):
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def apply_all(*, backend=None) -> int:
    """Drain the outbox (worker loop, tests)."""
    total = 0
    while True:
        done = apply_pending(backend=backend)
        total += done
        if not done:
            return total
