"""The document builder for manual sections: published text per audience, facets."""

from collections.abc import Iterable, Iterator

from ..audience import ANONYMOUS, STAFF_ONLY, effective_visibility, takes_groups
from ..models import Section
from ..rendering import render_revision
from .registry import PUBLIC, STAFF, DocumentBuilder, SearchDocument, Variant

# The rendering audience for staff text: what any reader of internal sections sees
# (restricted blocks are left out; a restricted document is restricted as a whole).
STAFF_AUDIENCE = STAFF_ONLY.key
BATCH = 500


def _squash(text: str) -> str:
    """Plain text with runs of whitespace as one space: smaller, better snippets."""
    return " ".join(text.split())


class SectionDocumentBuilder(DocumentBuilder):
    doc_type = "section"

    def all_ids(self) -> Iterable[int]:
        return (
            Section.objects.filter(published_revision__isnull=False, in_trash=False)
            .order_by("pk")
            .values_list("pk", flat=True)
            .iterator(chunk_size=2000)
        )

    def documents(self, ids: Iterable[int]) -> Iterator[SearchDocument]:
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            yield from self._batch(ids[i : i + BATCH])

    def _batch(self, ids: list[int]) -> Iterator[SearchDocument]:
        sections = list(
            Section.objects.filter(
                pk__in=ids, published_revision__isnull=False, in_trash=False
            )
            .select_related("published_revision")
            .prefetch_related("groups", "tags")
        )
        steplen = Section.steplen
        prefixes = {
            s.path[:end]
            for s in sections
            for end in range(steplen, len(s.path), steplen)
        }
        ancestors = {
            a.path: a
            for a in Section.objects.filter(path__in=prefixes)
            .only("id", "path", "visibility")
            .prefetch_related("groups")
        }
        for section in sections:
            chain = [
                ancestors[section.path[:end]]
                for end in range(steplen, len(section.path), steplen)
                if section.path[:end] in ancestors
            ]
            yield self.document(section, [*chain, section])

    def document(self, section: Section, chain: list[Section]) -> SearchDocument:
        visibility, group_ids = effective_visibility(chain)
        revision = section.published_revision
        staff_text = _squash(render_revision(revision, STAFF_AUDIENCE).text)
        title = revision.title
        if ANONYMOUS.sees(visibility):
            public_text = _squash(render_revision(revision, ANONYMOUS.key).text)
            if public_text == staff_text:
                variants = (Variant(frozenset({PUBLIC, STAFF}), title, public_text),)
            else:
                variants = (
                    Variant(frozenset({PUBLIC}), title, public_text),
                    Variant(frozenset({STAFF}), title, staff_text),
                )
        else:
            variants = (Variant(frozenset({STAFF}), title, staff_text),)
        root = chain[0]
        return SearchDocument(
            doc_type=self.doc_type,
            object_id=section.pk,
            variants=variants,
            kind=section.kind,
            manual=str(root.pk),
            tags=tuple(sorted(t.name for t in section.tags.all())),
            restricted=takes_groups(visibility),
            group_ids=group_ids,
            updated=section.published_at or section.updated,
            url=section.get_absolute_url(),
        )

    def describe(self, object_id) -> str:
        title = Section.objects.filter(pk=object_id).values_list("title", flat=True)
        return f"section {object_id} ({title.first() or '?'})"
