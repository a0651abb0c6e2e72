"""FAQ entries in the one search index: a document builder for the search registry.

`entry_document(entry)` builds the document; `EntryDocumentBuilder` registers it with
`manuals.search.registry` (done in `FaqConfig.ready`), and the services enqueue an
index task in the same transaction as every change, through the search outbox.
"""

from collections.abc import Iterable, Iterator

from manuals.audience import ANONYMOUS, STAFF_ONLY
from manuals.rendering import render_markdown
from manuals.search.registry import (
    PUBLIC,
    STAFF,
    DocumentBuilder,
    SearchDocument,
    Variant,
)

from .models import Entry

DOC_TYPE = "faq"


def _squash(text: str) -> str:
    return " ".join(text.split())


def entry_document(entry: Entry) -> SearchDocument:
    """The search document of one entry: question as title, rendered answer as body.

    A public entry is found by public and staff searches; an internal one by staff
    only. The answer goes through the same rendering pipeline as sections, per
    audience, so a block directive never leaks internal text into public results.
    """
    staff = _squash(render_markdown(entry.answer, STAFF_ONLY.key).text)
    if ANONYMOUS.sees(entry.visibility):
        public = _squash(render_markdown(entry.answer, ANONYMOUS.key).text)
        if public == staff:
            variants = (Variant(frozenset({PUBLIC, STAFF}), entry.question, public),)
        else:
            variants = (
                Variant(frozenset({PUBLIC}), entry.question, public),
                Variant(frozenset({STAFF}), entry.question, staff),
            )
    else:
        variants = (Variant(frozenset({STAFF}), entry.question, staff),)
    return SearchDocument(
        doc_type=DOC_TYPE,
        object_id=entry.pk,
        variants=variants,
        kind="faq",
        manual="",
        tags=(entry.category.name,) if entry.category_id else (),
        updated=entry.updated,
        url=entry.get_absolute_url(),
    )


class EntryDocumentBuilder(DocumentBuilder):
    doc_type = DOC_TYPE

    def all_ids(self) -> Iterable[int]:
        return Entry.objects.order_by("pk").values_list("pk", flat=True)

    def documents(self, ids: Iterable[int]) -> Iterator[SearchDocument]:
        ids = [int(i) for i in ids]
        for entry in Entry.objects.filter(pk__in=ids).select_related("category"):
            yield entry_document(entry)

    def describe(self, object_id) -> str:
        question = Entry.objects.filter(pk=object_id).values_list("question", flat=True)
        return f"faq {object_id} ({question.first() or '?'})"


def enqueue(entry_ids) -> None:
    """Ask the search outbox to (re)index or drop these entries after commit."""
    from manuals.search.outbox import enqueue as outbox_enqueue

    outbox_enqueue(doc_type=DOC_TYPE, object_ids=list(entry_ids))
