"""The interface every search backend implements, and the values it exchanges.

One backend-independent test class (tests/manuals/search/test_backend.py) runs against
every implementation, the way Wagtail tests its search backends.
"""

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from ...audience import Audience
from ..query import ParsedQuery
from ..registry import SearchDocument

__all__ = ["Audience"]  # who searches: the manual's one audience (manuals.audience)


class IndexBusy(Exception):
    """Another process held the index's write lock for longer than the timeout."""


@dataclass
class SearchRequest:
    parsed: ParsedQuery
    audience: Audience
    kinds: list[str] = field(default_factory=list)  # facet filters from the page
    manuals: list[str] = field(default_factory=list)  # top-level section ids
    tags: list[str] = field(default_factory=list)
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlight: bool = True


@dataclass
class Hit:
    doc_type: str
    object_id: int
    title: str
    title_html: str
    snippet_html: str
    kind: str
    manual: str
    tags: list[str]
    updated: datetime | None
    url: str
    score: float


@dataclass
class SearchResults:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 10
    mode: str = "all"  # "all": every word matched; "any": the fallback
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str = ""  # "did you mean", a whole corrected query

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Suggestion:
    title: str
    url: str
    doc_type: str
    object_id: int


@dataclass
class CheckReport:
    """What differs between the database and the index."""

    stale: list[str] = field(default_factory=list)  # indexed text differs
    missing: list[str] = field(default_factory=list)  # in the database, not indexed
    orphaned: list[str] = field(default_factory=list)  # indexed, gone from the database

    @property
    def ok(self) -> bool:
        return not (self.stale or self.missing or self.orphaned)


class IndexBatch:
    """Changes applied together by `BaseSearchBackend.batch()`."""

    def index(self, document: SearchDocument) -> None:
        raise NotImplementedError("subclasses of IndexBatch must provide index()")

    def delete(self, key: str) -> None:
        raise NotImplementedError("subclasses of IndexBatch must provide delete()")


class BaseSearchBackend:
    def __init__(self, params: dict):
        self.params = params
        self.options = params.get("OPTIONS", {})

    def batch(
        self, *, timeout: float | None = None
    ) -> AbstractContextManager[IndexBatch]:
        """A context manager holding the index's write lock; commits on exit.

        Waits up to `timeout` seconds for another writer (another process) rather
        than failing, and raises `IndexBusy` when the wait times out, so callers can
        keep their work for a retry.
        """
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide batch()"
        )

    def index(self, documents: Iterable[SearchDocument]) -> None:
        with self.batch() as batch:
            for document in documents:
                batch.index(document)

    def delete(self, keys: Iterable[str]) -> None:
        with self.batch() as batch:
            for key in keys:
                batch.delete(key)

    def search(self, request: SearchRequest) -> SearchResults:
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide search()"
        )

    def suggest(self, *, text: str, audience: Audience, limit: int = 8) -> list:
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide suggest()"
        )

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the whole index with `documents`; returns how many were indexed."""
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide rebuild()"
        )

    def indexed_digests(self) -> dict[str, str]:
        """key -> digest of every indexed document (for `check`)."""
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide indexed_digests()"
        )

    def check(self, expected: dict[str, str]) -> CheckReport:
        """Compare `expected` (key -> digest built from the database) with the index."""
        indexed = self.indexed_digests()
        report = CheckReport()
        for key, digest in expected.items():
            if key not in indexed:
                report.missing.append(key)
            elif indexed[key] != digest:
                report.stale.append(key)
        report.orphaned = sorted(set(indexed) - set(expected))
        return report

    def clear(self) -> None:
        raise NotImplementedError(
            "subclasses of BaseSearchBackend must provide clear()"
        )

    def close(self) -> None:
        """Release open files (tests, reloads)."""
