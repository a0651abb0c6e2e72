"""Search operations for views and commands: who searches, what they asked, the results.

Views call `search_sections` and `suggest_titles`; commands call `rebuild_index`
and `check_index`.
"""

from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from ..models import Kind, Section, Tag
from . import get_search_backend
from .backends.base import Audience, CheckReport, SearchRequest, SearchResults
from .models import IndexTask
from .outbox import apply_all, build_documents, enqueue, retry_delay, unpark
from .query import ParsedQuery, parse_query, same_text
from .registry import builders, document_key


def kinds() -> frozenset[str]:
    """Values `kind:` accepts: section kinds and the other registered doc types."""
    return frozenset(Kind.values) | {b.doc_type for b in builders()}


PER_PAGE = 10


def audience_for(user) -> Audience:
    """The audience a user searches as: the one pages are read as."""
    return Audience.for_user(user)


def parse(raw: str | None) -> ParsedQuery:
    return parse_query(raw, kinds=kinds())


def _manual_ids(user, names: list[str]) -> list[str]:
    """Top-level manuals named by `in:` (title, slug or id) that the user may read."""
    roots = (
        Section.objects.get_root_nodes().readable_by(user).only("id", "title", "slug")
    )
    ids = []
    for name in names:
        ids += [
            str(r.pk)
            for r in roots
            if name == str(r.pk) or same_text(name, r.title) or same_text(name, r.slug)
        ]
    return ids or ["-none-"]


def _tag_names(names: list[str]) -> list[str]:
    """Tag names as stored, matched ignoring case and script."""
    found = []
    for name in names:
        candidates = Tag.objects.filter(
            Q(name__iexact=name) | Q(name__icontains=name[:1])
        ).values_list("name", flat=True)
        match = [c for c in candidates if same_text(c, name)]
        found.append(match[0] if match else name)
    return found


def search_sections(
    *,
    user,
    parsed: ParsedQuery,
    kind_filters: list[str] = (),
    manuals: list[str] = (),
    tags: list[str] = (),
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchResults:
    """Search as `user` sees the manual; filters from the page add to the query's."""
    manual_ids = list(manuals)
    if parsed.manuals:
        manual_ids += _manual_ids(user, parsed.manuals)
    request = SearchRequest(
        parsed=parsed,
        audience=audience_for(user),
        kinds=[k for k in kind_filters if k in kinds()],
        manuals=manual_ids,
        tags=_tag_names([*parsed.tags, *tags]),
        page=max(1, page),
        per_page=per_page,
    )
    return get_search_backend().search(request)


def suggest_titles(*, user, text: str, limit: int = 8) -> list:
    return get_search_backend().suggest(
        text=text, audience=audience_for(user), limit=limit
    )


def expected_documents(*, failures: dict | None = None) -> dict[str, str]:
    """key -> digest of every document the database says should be indexed.

    A document that cannot be built is left out (and noted in `failures`, key ->
    error): one bad document never stops the others.
    """
    expected = {}
    for document in all_documents(failures=failures):
        expected[document.key] = document.digest
    return expected


def all_documents(*, failures: dict | None = None):
    for builder in builders():
        failed: dict[str, str] = {}
        yield from build_documents(builder, builder.all_ids(), failures=failed)
        if failures is not None:
            failures.update(
                {document_key(builder.doc_type, i): e for i, e in failed.items()}
            )


def count_documents() -> int:
    return sum(len(list(builder.all_ids())) for builder in builders())


def rebuild_index(*, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database.

    Outbox rows older than the rebuild are covered by it; rows written while it
    runs are applied afterwards, so a change made meanwhile is never lost. A
    document that cannot be built is left out and gets an outbox row, so it is
    retried, parked and reported like any other.
    """
    last = IndexTask.objects.order_by("-pk").values_list("pk", flat=True).first()
    failures: dict[str, str] = {}
    count = get_search_backend().rebuild(
        all_documents(failures=failures), progress=progress
    )
    if last is not None:
        IndexTask.objects.filter(pk__lte=last).delete()
    now = timezone.now()
    IndexTask.objects.bulk_create(
        IndexTask(
            doc_type=key.partition(":")[0],
            object_id=key.partition(":")[2],
            attempts=1,
            last_error=error,
            next_attempt=now + retry_delay(1),
        )
        for key, error in failures.items()
    )
    apply_all()
    return count


def check_index(*, failures: dict | None = None) -> CheckReport:
    """What differs between the database and the index. Documents that cannot be
    built are noted in `failures` (key -> error), not reported as orphaned."""
    failures = {} if failures is None else failures
    report = get_search_backend().check(expected_documents(failures=failures))
    report.orphaned = [k for k in report.orphaned if k not in failures]
    return report


def parked_tasks() -> list[IndexTask]:
    """Outbox rows whose document failed to build too often (search_index --check)."""
    return list(IndexTask.objects.filter(parked=True).order_by("pk"))


def fix_index(report: CheckReport) -> int:
    """Re-index what `check_index` found stale or missing, drop what is orphaned,
    and retry parked rows."""
    unpark()
    by_type: dict[str, list[str]] = {}
    for key in [*report.stale, *report.missing, *report.orphaned]:
        doc_type, _sep, object_id = key.partition(":")
        by_type.setdefault(doc_type, []).append(object_id)
    for doc_type, ids in by_type.items():
        enqueue(doc_type=doc_type, object_ids=ids)
    return apply_all()


__all__ = ["document_key"]
