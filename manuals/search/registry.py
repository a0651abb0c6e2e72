"""The registry of document builders: how each app turns its objects into documents.

An app registers a `DocumentBuilder` subclass (the way Wagtail's `index.Indexed` lets a
model declare its search fields), so the search package indexes sections, FAQ entries
or anything else without importing the apps that own them.
"""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..audience import Audience

# Audience levels a document variant can serve. A search runs for one level.
PUBLIC = Audience.PUBLIC
STAFF = Audience.STAFF
# The value of `restricted_to` for a document anyone of its audience may read.
OPEN = "open"


@dataclass(frozen=True)
class Variant:
    """The text one or more audience levels may see of a document."""

    audiences: frozenset[str]
    title: str
    body: str


@dataclass(frozen=True)
class SearchDocument:
    """One indexable object with the text per audience and the facets it carries."""

    doc_type: str
    object_id: int
    variants: tuple[Variant, ...]
    kind: str = ""
    manual: str = ""  # id of the top-level section ("" when not in the tree)
    tags: tuple[str, ...] = ()
    restricted: bool = False  # only members of `group_ids` (and superusers) may read
    group_ids: tuple[int, ...] = ()
    updated: datetime | None = None
    url: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return document_key(self.doc_type, self.object_id)

    @property
    def digest(self) -> str:
        """A fingerprint of everything indexed, compared by `search_index --check`."""
        h = hashlib.sha1(usedforsecurity=False)
        parts = [
            self.kind,
            self.manual,
            ",".join(self.tags),
            "restricted" if self.restricted else "",
            ",".join(map(str, self.group_ids)),
            self.updated.isoformat() if self.updated else "",
            self.url,
        ]
        for v in self.variants:
            parts += [",".join(sorted(v.audiences)), v.title, v.body]
        for part in parts:
            h.update(part.encode())
            h.update(b"\0")
        return h.hexdigest()


def document_key(doc_type: str, object_id) -> str:
    return f"{doc_type}:{object_id}"


class DocumentBuilder:
    """Turns objects of one type into `SearchDocument`s. Subclass and register.

    `doc_type` names the documents; `documents(ids)` builds the current state of the
    given objects (leaving out those that no longer exist or must not be indexed), and
    `all_ids()` lists every object a rebuild should index.
    """

    doc_type: str = ""

    def all_ids(self) -> Iterable[int]:
        raise NotImplementedError(
            "subclasses of DocumentBuilder must provide all_ids()"
        )

    def documents(self, ids: Iterable[int]) -> Iterator[SearchDocument]:
        raise NotImplementedError(
            "subclasses of DocumentBuilder must provide documents()"
        )

    def describe(self, object_id) -> str:
        """A human name for reports (search_index --check)."""
        return document_key(self.doc_type, object_id)


_builders: dict[str, DocumentBuilder] = {}


def register(builder: DocumentBuilder) -> DocumentBuilder:
    """Register a builder instance (idempotent by doc_type)."""
    if not builder.doc_type:
        raise ValueError("A DocumentBuilder needs a doc_type.")
    _builders[builder.doc_type] = builder
    return builder


def get_builder(doc_type: str) -> DocumentBuilder | None:
    return _builders.get(doc_type)


def builders() -> list[DocumentBuilder]:
    return list(_builders.values())
