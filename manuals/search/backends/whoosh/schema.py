"""The index schema, its field formats, and the whoosh documents of a SearchDocument.

One whoosh document per audience variant (see registry.Variant); restricted documents
carry their group ids in `restricted_to`. Chinese is indexed as bigrams (`*_ng`
fields), English as stems, and the unstemmed English words of what each audience may
read feed its "did you mean" lexicon (`vocab_*`).

whoosh internals relied on: none private. `TermFrequency` subclasses the public
`whoosh.formats.Frequency` and sets its `posting_size` class attribute to 0, which
`Format.fixed_value_size()` returns, so the W3 codec writes postings without value
bytes. writer.py (whole blocks) and postings.py (block decoding) depend on that: if a
whoosh version ignored `posting_size`, the bulk writer refuses the schema with a
ValueError.
"""

from datetime import datetime

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency

from ...analysis import BigramAnalyzer, EnglishAnalyzer, VocabularyAnalyzer
from ...registry import OPEN, SearchDocument

NOBODY = "nobody"  # restricted_to value of a restricted document without groups


class TermFrequency(Frequency):
    """Frequency without the per-posting value bytes: the frequency is the weight.

    whoosh's Frequency format stores each posting's frequency twice (as the weight and
    as 4 packed value bytes); nothing here reads the values, so they are dropped.
    """

    posting_size = 0

    def word_values(self, value, analyzer, **kwargs):
        for word, freq, weight, _value in super().word_values(
            value, analyzer, **kwargs
        ):
            yield word, freq, weight, b""


def _text(analyzer, stored: bool = False) -> TEXT:
    field = TEXT(analyzer=analyzer, stored=stored, phrase=False)
    field.format = TermFrequency(field_boost=1.0)
    return field


def _keyword(**kwargs) -> KEYWORD:
    field = KEYWORD(**kwargs)
    field.format = TermFrequency(field_boost=1.0)
    return field


def build_schema() -> Schema:
    words, grams, vocab = EnglishAnalyzer(), BigramAnalyzer(), VocabularyAnalyzer()
    return Schema(
        uid=ID(unique=True, stored=True),
        key=ID(stored=True),
        doc_type=ID(stored=True),
        object_id=STORED,
        audiences=_keyword(),
        restricted_to=_keyword(),
        kind=ID(stored=True),
        manual=ID(stored=True),
        tags=_keyword(stored=True, commas=True, scorable=False),
        updated=NUMERIC(int, bits=64, stored=True, sortable=True),
        title=_text(words, stored=True),
        title_ng=_text(grams),
        body=_text(words, stored=True),
        body_ng=_text(grams),
        vocab_public=_text(vocab),
        vocab_staff=_text(vocab),
        digest=STORED,
        url=STORED,
    )


def schema_signature(schema) -> list:
    """What must match between an index on disk and `build_schema()` to reuse it."""
    return sorted(
        (name, type(field).__name__, type(field.format).__name__)
        for name, field in schema.items()
    )


def _timestamp(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def document_fields(document: SearchDocument) -> list[dict]:
    """The whoosh documents (field dicts) of `document`, one per variant."""
    if document.restricted:
        restricted_to = " ".join(f"g{g}" for g in document.group_ids) or NOBODY
    else:
        restricted_to = OPEN
    rows = []
    for n, variant in enumerate(document.variants):
        fields = {
            "uid": f"{document.key}#{n}",
            "key": document.key,
            "doc_type": document.doc_type,
            "object_id": document.object_id,
            "audiences": " ".join(sorted(variant.audiences)),
            "restricted_to": restricted_to,
            "kind": document.kind or "-",
            "manual": document.manual or "-",
            "tags": ",".join(document.tags),
            "updated": _timestamp(document.updated),
            "title": variant.title,
            "title_ng": variant.title,
            "body": variant.body,
            "body_ng": variant.body,
            "digest": document.digest,
            "url": document.url,
        }
        if not document.restricted:
            # Restricted words must not reach anyone's "did you mean".
            vocab = variant.title + "\n" + variant.body
            for audience in variant.audiences:
                fields[f"vocab_{audience}"] = vocab
        rows.append(fields)
    return rows
