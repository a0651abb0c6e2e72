"""Writing to and applying the search outbox (see models.IndexTask).

`enqueue` runs inside the content change's transaction. `apply_pending` builds the
documents *while holding the index's write lock*, after reading the task rows, so the
index always ends up with the newest committed state even when several processes apply
tasks at once; it deletes only the rows it read, so a row committed meanwhile stays for
the next run.

One bad document never stops the others: documents are built in small chunks, a chunk
that fails is built again one document at a time, and the rows of a document that
still fails are retried later with exponential backoff (`next_attempt`), then parked
after MAX_ATTEMPTS. Appliers skip parked rows and rows not yet due; `search_index
--check` lists them and the section page tells editors. A later change of the object
retries its parked rows with it; `search_index --fix` retries them all.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import get_search_backend
from .backends.base import IndexBusy
from .models import IndexTask
from .registry import DocumentBuilder, SearchDocument, document_key, get_builder

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
BUILD_CHUNK = 50  # documents built per savepoint (a failure rebuilds them one by one)
MAX_ATTEMPTS = 5  # failed builds before a row is parked
RETRY_SECONDS = 30  # the first retry waits this long, then twice as long each time
RETRY_MAX_SECONDS = 6 * 3600


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


def due(now=None) -> Q:
    """Rows an applier takes: not parked, and not waiting for a retry."""
    now = now or timezone.now()
    return Q(parked=False) & (Q(next_attempt__isnull=True) | Q(next_attempt__lte=now))


def retry_delay(attempts: int) -> timedelta:
    """How long a row waits after its `attempts`-th failed build."""
    seconds = RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, RETRY_MAX_SECONDS))


def apply_pending(
    *, limit: int = BATCH_SIZE, backend=None, timeout: float | None = None
) -> int:
    """Apply up to `limit` due outbox rows; returns how many were taken (applied, or
    put back to be retried later).

    The rows are read and their documents built while holding the index's write
    lock. Raises IndexBusy when another process holds it too long (the rows stay).
    A document that cannot be built is retried later on its own; any other error
    (the index itself) counts an attempt on the rows, which stay, and re-raises.
    """
    backend = backend or get_search_backend()
    now = timezone.now()
    # Cheap check first: most calls (one per signal) find the outbox already empty.
    if not IndexTask.objects.filter(due(now)).exists():
        return 0
    tasks: list[IndexTask] = []
    try:
        with backend.batch(timeout=timeout) as batch:
            tasks = list(IndexTask.objects.filter(due(now)).order_by("pk")[:limit])
            taken = len(tasks)
            tasks += _waiting_rows_of(tasks)
            failures = _apply(batch, tasks)
    except IndexBusy:
        raise
    except Exception as exc:
        IndexTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        raise
    # After the index commit: a crash right here only means the rows are applied
    # once more later, which is harmless.
    failed = [t for t in tasks if (t.doc_type, t.object_id) in failures]
    failed_pks = {t.pk for t in failed}
    IndexTask.objects.filter(
        pk__in=[t.pk for t in tasks if t.pk not in failed_pks]
    ).delete()
    for task in failed:
        _defer(task, failures[(task.doc_type, task.object_id)], now=now)
    return taken


def _waiting_rows_of(tasks: list[IndexTask]) -> list[IndexTask]:
    """Parked or waiting rows of the objects in `tasks`: the same work, so they are
    done (or fail) with them."""
    keys = {(t.doc_type, t.object_id) for t in tasks}
    waiting = IndexTask.objects.exclude(due()).filter(
        object_id__in={object_id for _t, object_id in keys}
    )
    return [t for t in waiting if (t.doc_type, t.object_id) in keys]


def _defer(task: IndexTask, error: str, *, now) -> None:
    """Count a failed build of `task`: retry later, or park it after MAX_ATTEMPTS."""
    attempts = task.attempts + 1
    parked = task.parked or attempts >= MAX_ATTEMPTS
    IndexTask.objects.filter(pk=task.pk).update(
        attempts=attempts,
        last_error=error[:2000],
        next_attempt=now + retry_delay(attempts),
        parked=parked,
    )
    if parked and not task.parked:
        logger.error(
            "Search document %s could not be built %s times; parked: %s",
            document_key(task.doc_type, task.object_id),
            attempts,
            error,
        )


def _apply(batch, tasks) -> dict[tuple[str, str], str]:
    """Index (or delete) the documents of `tasks`; the ones that could not be built,
    as (doc_type, object_id) -> error."""
    by_type: dict[str, set[str]] = {}
    for task in tasks:
        by_type.setdefault(task.doc_type, set()).add(task.object_id)
    failures: dict[tuple[str, str], str] = {}
    for doc_type, ids in by_type.items():
        builder = get_builder(doc_type)
        if builder is None:
            logger.warning("No search document builder for %r; dropping.", doc_type)
            continue
        found = set()
        failed: dict[str, str] = {}
        for document in build_documents(builder, ids, failures=failed):
            batch.index(document)
            found.add(str(document.object_id))
        for object_id in ids - found - failed.keys():
            batch.delete(document_key(doc_type, object_id))
        failures.update({(doc_type, i): error for i, error in failed.items()})
    return failures


def build_documents(
    builder: DocumentBuilder, ids: Iterable, *, failures: dict[str, str]
) -> Iterator[SearchDocument]:
    """The documents of `ids`, isolated from each other: a chunk whose build raises
    is built again one id at a time, and an id that still fails is left out and
    recorded in `failures` (object id -> error) instead of failing the rest.

    Each build runs in a savepoint, so a database error inside one (which aborts
    the transaction on PostgreSQL) does not break the batch around it.
    """
    ids = sorted({str(i) for i in ids}, key=_sort_key)
    for start in range(0, len(ids), BUILD_CHUNK):
        chunk = ids[start : start + BUILD_CHUNK]
        try:
            documents = _build(builder, chunk)
        except Exception:  # whatever a builder raises is isolated
            documents = []
            for object_id in chunk:
                try:
                    documents += _build(builder, [object_id])
                except Exception as exc:  # recorded, retried and reported
                    logger.exception(
                        "Search document %s could not be built",
                        document_key(builder.doc_type, object_id),
                    )
                    failures[object_id] = repr(exc)[:2000]
        yield from documents


def _build(builder: DocumentBuilder, ids: list[str]) -> list[SearchDocument]:
    if not connection.in_atomic_block:
        # Autocommit reads: no transaction needed (on SQLite an outermost atomic()
        # would take the write lock, IMMEDIATE, only to read).
        return list(builder.documents(ids))
    with transaction.atomic():
        return list(builder.documents(ids))


def _sort_key(value: str):
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def apply_all(*, backend=None) -> int:
    """Drain the outbox of due rows (worker loop, tests)."""
    total = 0
    while True:
        done = apply_pending(backend=backend)
        total += done
        if not done:
            return total


def index_problem(*, doc_type: str, object_id) -> IndexTask | None:
    """The newest outbox row of an object whose document failed to build (parked,
    or waiting to be retried), for the editor's notice; None when indexing is fine."""
    return (
        IndexTask.objects.filter(doc_type=doc_type, object_id=str(object_id))
        .filter(Q(parked=True) | Q(next_attempt__isnull=False))
        .order_by("-pk")
        .first()
    )


def unpark(*, doc_type: str | None = None) -> int:
    """Make parked and waiting rows due again (search_index --fix); returns how many."""
    rows = IndexTask.objects.filter(Q(parked=True) | Q(next_attempt__isnull=False))
    if doc_type:
        rows = rows.filter(doc_type=doc_type)
    return rows.update(parked=False, next_attempt=None, attempts=0)
