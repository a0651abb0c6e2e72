"""The embedded default backend: a whoosh index in KB_DATA_DIR/search.

Documents are one whoosh document per audience variant (see registry.Variant): a search
for the public only ever touches public variants, so text of internal sections can
never match, count, facet or show up in a snippet. Restricted documents carry their
group ids and are filtered at query time.

whoosh stores the index (segments, term dictionary, posting blocks, stored fields,
write lock); searching does not go through whoosh's matcher tree. Profiling at 10k
showed whoosh spending ~5-20 microseconds of Python per matching document and query
node, twice (top-k scoring, then a second walk for the total and the facets), which
cannot reach 100 ms at 50k. So `_Plan` reads each query term's posting blocks in bulk
(one zlib + unpickle per 128 postings), turns them into per-segment bitmaps (Python
ints with one byte per document, so AND/OR/popcount run in C), and:

* total and facets are popcounts of the match bitmap ANDed with per-value facet
  bitmaps (kind, manual, tag), cached per segment: no walk over the matches at all;
* ranking is BM25F (titles x4) over the matches, computed from the decoded postings
  and the field-length bytes, then the top 50 are re-ranked with an exact-phrase bonus
  and a freshness tie-break;
* exact phrases ("...", exclusions, the phrase bonus) are verified on the stored text
  of the few candidates all their bigrams already matched, so the index needs no
  positions; snippets find the query's bigrams and stems in the stored text of the
  ten hits shown (microseconds with str.find; no re-tokenizing with jieba).

Matching Chinese uses character bigrams (any fragment of 2+ characters matches, one
character by prefix), English uses Porter stems; titles weigh 4x bodies.

Full rebuilds use `_BulkWriter`, which inverts documents in memory and writes whole
posting blocks, instead of whoosh's per-posting pool (an external sort that pickles
every posting twice). Edits go through whoosh's own SegmentWriter, one small segment
per commit, merged among themselves only (never rewriting the big segment inline).

whoosh allows one writer at a time across processes: `batch()` waits for the lock
(`writer(timeout=...)`) and raises IndexBusy when it cannot get it; AsyncWriter is
never used because it loses updates when a process exits hard.
"""

import contextlib
import heapq
import html
import logging
import pickle
import shutil
import threading
import zlib
from array import array
from collections import Counter, deque
from datetime import UTC, datetime
from itertools import accumulate, compress, repeat
from math import log
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield, byte_to_length
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.index import LockError
from whoosh.query import And, Or, Prefix, Term
from whoosh.reading import EmptyReader, MultiReader, SegmentReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, SegmentWriter

from ..analysis import (
    STOP_WORDS,
    BigramAnalyzer,
    EnglishAnalyzer,
    VocabularyAnalyzer,
    _KbAnalyzer,
    bigrams,
    cjk_chunks,
    is_cjk,
    query_words,
    runs,
    stem_word,
    to_simplified,
)
from ..registry import OPEN, PUBLIC, STAFF, SearchDocument
from .base import (
    Audience,
    BaseSearchBackend,
    Hit,
    IndexBatch,
    IndexBusy,
    SearchRequest,
    SearchResults,
    Suggestion,
)

logger = logging.getLogger(__name__)

TITLE_BOOST = 4.0
PHRASE_BOOST = 3.0
NOBODY = "nobody"  # restricted_to value of a restricted document without groups
SNIPPET_CHARS = 160
RERANK_DEPTH = 50  # how many top hits the phrase bonus and tie-break re-rank
BM25_B, BM25_K1 = 0.75, 1.2
MAX_EXPANSIONS = 200  # terms a prefix or fuzzy word may expand to
SMALL_SEGMENT = 2000  # segments below this many documents are merged among themselves
MAX_SMALL_SEGMENTS = 8  # ... once a tier of like-sized ones has more than this
BLOCK = 128  # postings per block, as whoosh's W3 codec writes them
FACET_FIELDS = (("kind", "kind"), ("manual", "manual"), ("tag", "tags"))


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


def _signature(schema) -> list:
    return sorted(
        (name, type(field).__name__, type(field.format).__name__)
        for name, field in schema.items()
    )


def _timestamp(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def _fields_for(document: SearchDocument) -> list[dict]:
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


# -- writing -------------------------------------------------------------------------


class _BulkWriter(SegmentWriter):
    """A SegmentWriter for full rebuilds that inverts in memory.

    whoosh's writer sends every posting through an external merge sort (pickled to
    disk and back) and looks up each posting's field length again at flush: ~10
    microseconds a posting, ~800 postings a section. Here the postings of the new
    segment are kept as arrays per term (8 bytes a posting, ~250 MB at 50k sections)
    and written block by block. The files are whoosh's own (W3 codec), so every
    whoosh reader, merge and writer works on them as usual.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self._inv: dict[str, dict[bytes, tuple[array, array]]] = {}
        self._lengths: dict[str, array] = {}

    def add_document(self, **fields):
        self._check_state()
        perdoc, schema, docnum = self.perdocwriter, self.schema, self.docnum
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if field.indexed:
                if isinstance(field.analyzer, _KbAnalyzer):
                    counts = Counter(field.analyzer.terms(to_simplified(value)))
                    items = ((w.encode(), f, float(f)) for w, f in counts.items())
                else:
                    items = ((t, f, w) for t, f, w, _v in field.index(value))
                postings = self._inv.setdefault(name, {})
                for tbytes, freq, weight in items:
                    entry = postings.get(tbytes)
                    if entry is None:
                        entry = postings[tbytes] = (array("I"), array("f"))
                    entry[0].append(docnum)
                    entry[1].append(weight)
                    length += freq
                if field.scorable:
                    lengths = self._lengths.setdefault(name, array("I"))
                    lengths.extend(repeat(0, docnum + 1 - len(lengths)))
                    lengths[docnum] = length
                else:
                    length = 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                column_value = field.to_column_value(value)
                perdoc.add_column_value(name, field.column_type, column_value)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_reader(self, reader):
        """Merge a (small) segment in: whoosh's per-document copy, our postings.

        whoosh's add_reader sends every posting through the pool again (~10 us
        each, ~300 ms for 30 edited sections); decoded blocks go straight into the
        arrays.
        """
        self._check_state()
        schema = self.schema
        base = self.docnum
        names = {n for n in reader.indexed_field_names() if n in schema}
        docmap = self.write_per_doc(set(schema.names()) | names, reader)
        live = (
            sorted(docmap.items())
            if docmap is not None
            else [(d, base + d) for d in range(reader.doc_count_all())]
        )
        for name in sorted(names):
            if schema[name].scorable:
                lengths = self._lengths.setdefault(name, array("I"))
                lengths.extend(repeat(0, self.docnum - len(lengths)))
                for old, new in live:
                    lengths[new] = reader.doc_field_length(old, name) or 0
        # One pass over the segment's term table (no hash lookup per term).
        terms = reader._terms
        for (name, tbytes), info in terms.items():
            if name not in names:
                continue
            ids, weights = _read_postings(terms, info, schema[name].format)
            entry = None
            for old, weight in zip(ids, weights, strict=True):
                new = docmap.get(old) if docmap is not None else base + old
                if new is None:
                    continue  # deleted
                if entry is None:
                    postings = self._inv.setdefault(name, {})
                    entry = postings.get(tbytes)
                    if entry is None:
                        entry = postings[tbytes] = (array("I"), array("f"))
                entry[0].append(new)
                entry[1].append(weight)
        self._added = True

    def _flush_segment(self):
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._inv):
            field = self.schema[name]
            if field.format.fixed_value_size() != 0:  # pragma: no cover - schema
                raise ValueError(f"{name}: the bulk writer needs value-less postings")
            lengths = self._lengths.get(name)
            writer.start_field(name, field)
            terms = self._inv[name]
            for tbytes in sorted(terms):
                ids, weights = terms[tbytes]
                writer.start_term(tbytes)
                block = writer._postwriter
                for start in range(0, len(ids), BLOCK):
                    if start:
                        block._write_block()
                    chunk = ids[start : start + BLOCK]
                    block._ids = chunk
                    block._weights = weights[start : start + BLOCK]
                    block._values = []
                    block._maxweight = max(block._weights)
                    if lengths is not None:
                        lens = [lengths[d] for d in chunk]
                        block._minlength = min(lens) or None
                        block._maxlength = max(lens)
                writer.finish_term()
            writer.finish_field()
        writer.close()


def _merge_tiers(writer, segments):
    """The merge policy of edits: merge small segments of similar size only.

    Each edit commits one small segment. Small segments are grouped in tiers by
    their number of digits (1-9 documents, 10-99, ...); a tier holding more than
    MAX_SMALL_SEGMENTS is merged into the new segment, so a merge touches a few
    segments of like size (log-structured, like Lucene's tiered policy) and the
    segment count stays bounded. Segments of SMALL_SEGMENT documents or more are
    left to `search_index --optimize`; whoosh's MERGE_SMALL would open a reader on
    every segment, the 50k one included, on each commit. Segments whose documents are
    all deleted are dropped.
    """
    keep, tiers = [], {}
    for segment in segments:
        live = segment.doc_count_all() - segment.deleted_count()
        if live <= 0:
            continue
        if segment.doc_count_all() >= SMALL_SEGMENT:
            keep.append(segment)
        else:
            tiers.setdefault(len(str(live)), []).append(segment)
    for _tier, group in sorted(tiers.items()):
        if len(group) <= MAX_SMALL_SEGMENTS:
            keep += group
            continue
        for segment in group:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
    return keep


class _Batch(IndexBatch):
    def __init__(self, writer, backend):
        self.writer = writer
        self.backend = backend
        self.count = 0
        self.dirty = False

    def _delete_key(self, key: str) -> None:
        # Find the documents with the process's open reader instead of
        # writer.delete_by_term, which opens a searcher on every segment (~100 ms at
        # 50k). batch() refreshed that reader to the generation this writer started
        # from, so its docnums are the writer's.
        for docnum in self.backend._docnums_for_key(key):
            self.writer.delete_document(docnum)

    def index(self, document: SearchDocument) -> None:
        self._delete_key(document.key)
        for fields in _fields_for(document):
            self.writer.add_document(**fields)
        self.count += 1
        self.dirty = True

    def delete(self, key: str) -> None:
        self._delete_key(key)
        self.dirty = True


def _permission_query(audience: Audience):
    if audience.level == PUBLIC:
        return Term("audiences", PUBLIC)
    if audience.level == STAFF:
        allowed = [Term("restricted_to", OPEN)]
        allowed += [Term("restricted_to", f"g{g}") for g in sorted(audience.group_ids)]
        return And([Term("audiences", STAFF), Or(allowed)])
    return Term("audiences", STAFF)  # "all": superusers read everything


# -- snippets --------------------------------------------------------------------------


def _merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _mark(text: str, spans, start: int, end: int) -> str:
    out, cursor = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[cursor:s]))
        out.append(f'<mark class="kb-hit">{html.escape(text[s:e])}</mark>')
        cursor = e
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def snippet_html(text: str, spans, *, width: int = SNIPPET_CHARS, top: int = 2) -> str:
    """Escaped text around the best `top` clusters of matches, matches in <mark>."""
    spans = _merge_spans(spans)
    if not spans:
        body = text[:width]
        return html.escape(body) + ("…" if len(text) > width else "")
    windows = []  # (number of matches, start, end)
    i = 0
    while i < len(spans):
        start = max(0, spans[i][0] - width // 4)
        end = min(len(text), start + width)
        j = i
        while j < len(spans) and spans[j][1] <= end:
            j += 1
        windows.append((j - i, start, end))
        i = max(j, i + 1)
    best = sorted(sorted(windows, key=lambda w: -w[0])[:top], key=lambda w: w[1])
    parts = []
    for n, (_count, start, end) in enumerate(best):
        if n and start < best[n - 1][2]:
            start = best[n - 1][2]
        if start >= end:
            continue
        piece = _mark(text, spans, start, end)
        parts.append(
            ("…" if start > 0 else "") + piece + ("…" if end < len(text) else "")
        )
    return " ".join(parts)


def _find_spans(text: str, grams, stems) -> list[tuple[int, int]]:
    """Where the query's Chinese grams and English stems occur in `text`.

    `text` is stored text; folding keeps offsets (see to_simplified), so the spans
    point into the original. This is what the bigram and stem postings matched.
    """
    folded = to_simplified(text)
    spans = []
    for gram in grams:
        i = folded.find(gram)
        while i >= 0:
            spans.append((i, i + len(gram)))
            i = folded.find(gram, i + 1)
    if stems:
        for kind, run, start in runs(folded):
            if kind == "en" and stem_word(run.lower()) in stems:
                spans.append((start, start + len(run)))
    return spans


# -- phrases on stored text ------------------------------------------------------------


def _phrase_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, token) of folded text: Chinese runs whole, English words stemmed,
    stop words kept as a gap (they hold a position in the index too)."""
    out = []
    for kind, run, _start in runs(text):
        if kind == "cjk":
            out.append(("cjk", run))
        else:
            low = run.lower()
            out.append(("en", "" if low in STOP_WORDS else stem_word(low)))
    return out


def _tokens_match(doc: list, phrase: list) -> bool:
    """Does the phrase's token sequence occur contiguously in the document's?

    A Chinese run of the phrase may end (start) inside the document's run it begins
    (ends) in; in the middle it must be the whole run.
    """
    k = len(phrase)
    for i in range(len(doc) - k + 1):
        for j, (kind, tok) in enumerate(phrase):
            dkind, dtok = doc[i + j]
            if kind != dkind:
                break
            if kind == "en":
                if not tok or tok != dtok:
                    break
            elif k == 1:
                if tok not in dtok:
                    break
            elif j == 0:
                if not dtok.endswith(tok):
                    break
            elif j == k - 1:
                if not dtok.startswith(tok):
                    break
            elif tok != dtok:
                break
        else:
            return True
    return False


class _Doc:
    """Stored fields of one document, folded once for phrase checks."""

    __slots__ = ("fields", "_folded", "_tokens")

    def __init__(self, fields: dict):
        self.fields = fields
        self._folded = None
        self._tokens = None

    def folded(self) -> tuple[str, str]:
        if self._folded is None:
            self._folded = (
                to_simplified(self.fields.get("title", "")),
                to_simplified(self.fields.get("body", "")),
            )
        return self._folded

    def tokens(self) -> tuple[list, list]:
        if self._tokens is None:
            self._tokens = tuple(_phrase_tokens(t) for t in self.folded())
        return self._tokens


class _Phrase:
    """An exact phrase checked on stored text: (title_hit, body_hit) per document."""

    def __init__(self, text: str):
        text = to_simplified(text)
        parts = list(runs(text))
        self.cjk_only = all(kind == "cjk" for kind, _r, _s in parts)
        self.runs = [run for _k, run, _s in parts]
        self.tokens = _phrase_tokens(text)

    def where(self, doc: _Doc) -> tuple[bool, bool]:
        if self.cjk_only:
            title, body = doc.folded()
            return (
                all(r in title for r in self.runs),
                all(r in body for r in self.runs),
            )
        title, body = doc.tokens()
        return _tokens_match(title, self.tokens), _tokens_match(body, self.tokens)

    def found(self, doc: _Doc) -> bool:
        if self.cjk_only:
            # Each run in the title or the body (runs are separate clauses).
            title, body = doc.folded()
            return all(r in title or r in body for r in self.runs)
        return any(self.where(doc))


# -- the per-segment data ------------------------------------------------------------


def _bitmap(ids, n: int) -> int:
    """A set of docnums as an int with one byte per document (bit 8*i for docnum i).

    A byte rather than a bit per document because bytearray item assignment runs
    in C (via map) while setting bits needs a Python loop; AND/OR/NOT/bit_count on
    50 KB ints take microseconds.
    """
    flags = bytearray(n)
    deque(map(flags.__setitem__, ids, repeat(1)), maxlen=0)
    return int.from_bytes(flags, "little")


def _docnums(bitmap: int, n: int):
    return compress(range(n), bitmap.to_bytes(n, "little"))


def _read_postings(terms, info, fmt):
    """(docnums, weights) of one term from its TermInfo, reading whole blocks.

    A term in one document needs no block at all: its TermInfo already holds the
    docnum and the weight (most terms of a small segment, and the rare words).
    """
    if info.doc_frequency() == 1:
        return [info.min_id()], [info.weight()]
    if info.is_inlined():  # pragma: no cover - the W3 codec never inlines
        ids, weights, _values = info.inlined_postings()
        return list(ids), list(weights)
    matcher = terms._codec.postings_reader(terms._postfile, info, fmt)

    postfile = matcher._postfile
    ids: list[int] = []
    weights: list[float] = []
    while True:
        data = postfile.get(
            matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
        )
        if matcher._compression:
            data = zlib.decompress(data)
        deltas, block_weights, _values = pickle.loads(data)  # noqa: S301
        ids += accumulate(deltas)
        if block_weights is None:
            weights += repeat(1.0, len(deltas))
        elif isinstance(block_weights, float):
            weights += repeat(block_weights, len(deltas))
        else:
            weights += block_weights
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return ids, weights


class _Segment:
    """Caches for one segment reader: lengths, facet and filter bitmaps.

    A segment's postings never change, only its deletions, so everything but the
    live-documents bitmap lives as long as the segment.
    """

    def __init__(self, leaf, offset: int):
        self.leaf = leaf
        self.offset = offset
        self.n = leaf.doc_count_all()
        self.all = int.from_bytes(b"\x01" * self.n, "little")
        self._live = None
        self._deleted_count = None
        self._lengths: dict[str, bytes] = {}
        self._facets: dict[str, dict[str, int]] = {}
        self._filters: dict[tuple, int] = {}
        self._updated = None

    def live(self) -> int:
        segment = self.leaf.segment()
        count = segment.deleted_count() if segment is not None else 0
        if self._live is None or count != self._deleted_count:
            deleted = segment.deleted_docs() if count else ()
            self._live = self.all & ~_bitmap(deleted, self.n) if count else self.all
            self._deleted_count = count
        return self._live

    def postings(self, field: str, text):
        """(docnums, weights) of one term in this segment, or None."""
        leaf = self.leaf
        if field not in leaf.schema:
            return None
        tbytes = text if isinstance(text, bytes) else leaf.schema[field].to_bytes(text)
        terms = leaf._terms
        try:
            info = terms.term_info(field, tbytes)
        except (KeyError, TermNotFound):
            return None
        return _read_postings(terms, info, leaf.schema[field].format)

    def lengths(self, field: str) -> bytes:
        """The field-length byte of every document (whoosh's length column)."""
        found = self._lengths.get(field)
        if found is None:
            column = self.leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is None:
                found = bytes(self.n)
            else:
                found = column._dbfile.get(column._basepos, column._count)
                found += bytes(self.n - len(found))
            self._lengths[field] = found
        return found

    def term_bitmap(self, field: str, text: str) -> int:
        found = self.postings(field, text)
        return _bitmap(found[0], self.n) if found else 0

    def facets(self, field: str) -> dict[str, int]:
        """value -> bitmap of the documents with it."""
        found = self._facets.get(field)
        if found is None:
            found = {}
            if field in self.leaf.schema:
                for tbytes in self.leaf.lexicon(field):
                    value = tbytes.decode("utf-8")
                    if value not in ("", "-"):
                        found[value] = self.term_bitmap(field, tbytes)
            self._facets[field] = found
        return found

    def updated(self, docnum: int) -> int:
        if self._updated is None:
            self._updated = self.leaf.column_reader("updated")
        return self._updated[docnum] or 0


# -- query plans -----------------------------------------------------------------
#
# Matching is a small boolean tree evaluated on bitmaps; ranking is the sum of BM25F
# contributions of the scoring terms ("leaves") a document contains. Nodes:
#   ("term", field, text)  ("all", [nodes])  ("any", [nodes])  ("not", node, node)
#   ("phrase", candidates, _Phrase)  ("every",)  ("none",)

NONE = ("none",)
EVERY = ("every",)


def _all(nodes):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ("all", nodes)


def _any(nodes):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ("any", nodes)


class _Plan:
    """One query compiled against the current reader: match tree and scoring terms."""

    def __init__(self, reader):
        self.reader = reader
        self.leaves: dict[tuple[str, str], float] = {}  # (field, text) -> boost
        self.grams: set[str] = set()  # Chinese strings to highlight
        self.stems: set[str] = set()  # English terms to highlight

    def _leaf(self, field: str, text: str, boost: float):
        key = (field, text)
        self.leaves[key] = max(self.leaves.get(key, 0.0), boost)
        return ("term", field, text)

    def _either(self, suffix: str, text: str, boost: float = 1.0, score=True):
        if not score:
            return _any(
                [("term", "title" + suffix, text), ("term", "body" + suffix, text)]
            )
        return _any(
            [
                self._leaf("title" + suffix, text, TITLE_BOOST * boost),
                self._leaf("body" + suffix, text, boost),
            ]
        )

    def _expanded(self, field: str, terms, boost: float, score: bool):
        nodes = []
        for n, text in enumerate(terms):
            if n >= MAX_EXPANSIONS:
                break
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            nodes.append(
                self._leaf(field, text, boost) if score else ("term", field, text)
            )
        return nodes

    def cjk(self, run: str, score=True, mark=True):
        """Documents containing the run (all its bigrams, anywhere in title or body)."""
        if len(run) == 1:
            reader = self.reader
            if mark:
                self.grams.add(run)
            nodes = []
            for suffix, boost in (("title_ng", TITLE_BOOST), ("body_ng", 1.0)):
                nodes += self._expanded(
                    suffix, reader.expand_prefix(suffix, run), boost, score
                )
            return _any(nodes) or NONE
        grams = list(dict.fromkeys(bigrams(run)))
        if mark:
            self.grams.update(grams)
        return _all([self._either("_ng", g, score=score) for g in grams])

    def english(self, word: str, score=True, mark=True, exact=False):
        low = word.lower()
        if low in STOP_WORDS:
            return None
        term = stem_word(low)
        reader = self.reader
        known = reader.doc_frequency("title", term) or reader.doc_frequency(
            "body", term
        )
        if known or exact or not low.isalpha() or len(low) < 3:
            if mark:
                self.stems.add(term)
            return self._either("", term, score=score)
        # Unknown: a fragment still being typed, or a typo.
        maxdist = 1 if len(low) <= 5 else 2
        nodes = []
        for field, boost in (("title", TITLE_BOOST), ("body", 1.0)):
            prefixed = list(reader.expand_prefix(field, low))
            fuzzy = list(reader.terms_within(field, term, maxdist, prefix=1))
            nodes += self._expanded(field, prefixed, 0.8 * boost, score)
            nodes += self._expanded(field, fuzzy, 0.6 * boost, score)
            if mark:
                self.stems.update(
                    t.decode("utf-8") if isinstance(t, bytes) else t
                    for t in prefixed[:MAX_EXPANSIONS] + fuzzy[:MAX_EXPANSIONS]
                )
        return _any(nodes) or NONE

    def units(self, text: str, score=True, mark=True, exact=False) -> list:
        """One node per Chinese word (or fragment) or English word of a query term.

        `exact` (phrases): Chinese runs whole, English words by their stem only,
        no prefix or typo expansion.
        """
        units = []
        for kind, run, _start in runs(to_simplified(text)):
            if kind == "cjk":
                chunks = [run] if exact else cjk_chunks(run)
                units += [self.cjk(c, score, mark) for c in chunks]
            else:
                units.append(self.english(run, score, mark, exact))
        return [u for u in units if u is not None]

    def phrase(self, text: str, score=True, mark=True):
        """Documents with the exact phrase: its terms by index, then the text."""
        folded = to_simplified(text)
        parts = list(runs(folded))
        if not parts:
            return None
        if all(kind == "cjk" for kind, _r, _s in parts):
            nodes = []
            for _kind, run, _s in parts:
                match = self.cjk(run, score, mark)
                nodes.append(
                    ("phrase", match, _Phrase(run)) if len(run) >= 3 else match
                )
            return _all(nodes)
        words = query_words(folded)
        if not words:
            return None
        candidates = _all(self.units(folded, score, mark, exact=True))
        if candidates is None:
            return None
        if len(words) == 1:
            return candidates
        return ("phrase", candidates, _Phrase(folded))


def _filters(request: SearchRequest) -> list:
    """Permission first, then kind (any of), manual (any of) and tags (each)."""
    audience = request.audience
    if audience.level == PUBLIC:
        filters = [("term", "audiences", PUBLIC)]
    elif audience.level == STAFF:
        allowed = [("term", "restricted_to", OPEN)]
        allowed += [
            ("term", "restricted_to", f"g{g}") for g in sorted(audience.group_ids)
        ]
        filters = [("term", "audiences", STAFF), _any(allowed)]
    else:
        filters = [("term", "audiences", STAFF)]
    kinds = list(dict.fromkeys([*request.parsed.kinds, *request.kinds]))
    if kinds:
        filters.append(_any([("term", "kind", k) for k in kinds]))
    if request.manuals:
        manuals = dict.fromkeys(request.manuals)
        filters.append(_any([("term", "manual", str(m)) for m in manuals]))
    for tag in dict.fromkeys(request.tags):
        filters.append(("term", "tags", tag))
    return filters


class _Run:
    """Evaluates plans on every segment of one searcher, sharing decoded postings."""

    def __init__(self, backend, searcher):
        self.backend = backend
        self.searcher = searcher
        self.segments = backend._segments()
        self.docs: dict[int, _Doc] = {}  # global docnum -> stored fields
        self._postings: dict[tuple, object] = {}
        self._bitmaps: dict[tuple, int] = {}

    def doc(self, docnum: int) -> _Doc:
        found = self.docs.get(docnum)
        if found is None:
            found = self.docs[docnum] = _Doc(self.searcher.stored_fields(docnum))
        return found

    def postings(self, seg: _Segment, field: str, text: str):
        key = (seg.offset, field, text)
        if key not in self._postings:
            self._postings[key] = seg.postings(field, text)
        return self._postings[key]

    def eval(self, seg: _Segment, node, restrict: int) -> int:
        if not restrict:
            return 0
        op = node[0]
        if op == "term":
            key = (seg.offset, node[1], node[2])
            bitmap = self._bitmaps.get(key)
            if bitmap is None:
                found = self.postings(seg, node[1], node[2])
                bitmap = self._bitmaps[key] = _bitmap(found[0], seg.n) if found else 0
            return bitmap & restrict
        if op == "all":
            # Phrases last: they are checked on stored text, so only on what the
            # other clauses left.
            for child in sorted(node[1], key=lambda c: c[0] == "phrase"):
                restrict = self.eval(seg, child, restrict)
                if not restrict:
                    break
            return restrict
        if op == "any":
            found = 0
            for child in node[1]:
                found |= self.eval(seg, child, restrict)
            return found
        if op == "not":
            found = self.eval(seg, node[1], restrict)
            return found & ~self.eval(seg, node[2], found)
        if op == "phrase":
            candidates = self.eval(seg, node[1], restrict)
            phrase = node[2]
            offset = seg.offset
            hits = [
                d
                for d in _docnums(candidates, seg.n)
                if phrase.found(self.doc(offset + d))
            ]
            return _bitmap(hits, seg.n)
        if op == "every":
            return restrict
        return 0

    def filter_bitmap(self, seg: _Segment, filters: list) -> int:
        # Filters repeat across searches (the audience above all): cache them per
        # segment, like a filter cache; the live-documents bitmap is applied after.
        key = repr(filters)
        found = seg._filters.get(key)
        if found is None:
            found = seg.all
            for node in filters:
                found = self.eval(seg, node, found)
            if len(seg._filters) > 64:
                seg._filters.clear()
            seg._filters[key] = found
        return found

    def matches(self, query, filters) -> list[int]:
        """The match bitmap per segment."""
        return [
            self.eval(seg, query, self.filter_bitmap(seg, filters) & seg.live())
            for seg in self.segments
        ]

    def rank(self, plan: _Plan, matched: list[int], depth: int) -> list:
        """[(score, global docnum)] of the best `depth` matches by BM25F."""
        searcher = self.searcher
        total_docs = max(1, searcher.doc_count_all())
        weights = []
        for (field, text), boost in plan.leaves.items():
            df = searcher.doc_frequency(field, text)
            if not df:
                continue
            idf = log(total_docs / (df + 1)) + 1
            avg = searcher.avg_field_length(field) or 1.0
            norm = [
                BM25_K1 * (1 - BM25_B + BM25_B * byte_to_length(b) / avg)
                for b in range(256)
            ]
            weights.append((field, text, boost * idf * (BM25_K1 + 1), norm))
        best: list = []
        for seg, match in zip(self.segments, matched, strict=True):
            if not match:
                continue
            flags = match.to_bytes(seg.n, "little")
            scores: dict[int, float] = {}
            get = scores.get
            for field, text, factor, norm in weights:
                found = self.postings(seg, field, text)
                if not found:
                    continue
                lengths = seg.lengths(field)
                for d, tf in zip(*found, strict=True):
                    if flags[d]:
                        scores[d] = get(d, 0.0) + factor * tf / (tf + norm[lengths[d]])
            offset = seg.offset
            top = heapq.nlargest(depth, scores.items(), key=itemgetter(1))
            if len(top) < depth and len(scores) < match.bit_count():
                # Matches without a scoring term (filters only): freshest first.
                rest = [d for d in _docnums(match, seg.n) if d not in scores]
                rest = heapq.nlargest(depth - len(top), rest, key=seg.updated)
                top += [(d, 0.0) for d in rest]
            best += [(score, offset + d) for d, score in top]
        best.sort(key=itemgetter(0), reverse=True)
        return best[:depth]

    def updated(self, docnum: int) -> int:
        for seg in reversed(self.segments):
            if docnum >= seg.offset:
                return seg.updated(docnum - seg.offset)
        return 0  # pragma: no cover


class WhooshSearchBackend(BaseSearchBackend):
    lock_timeout = 10.0

    def __init__(self, params: dict):
        super().__init__(params)
        self.path = Path(self.options.get("PATH") or settings.KB_DATA_DIR / "search")
        self.lock_timeout = float(self.options.get("LOCK_TIMEOUT", self.lock_timeout))
        self._ix = None
        self._searcher = None
        self._generation = None
        self._segment_cache: dict[str, _Segment] = {}
        # One searcher per process, shared by threads; whoosh readers are not meant
        # for concurrent use, so searches in one process take turns (they hold the
        # GIL anyway).
        self._lock = threading.RLock()

    # -- the index ---------------------------------------------------------------

    def _index(self):
        if self._ix is None:
            self.path.mkdir(parents=True, exist_ok=True)
            if whoosh_index.exists_in(str(self.path)):
                self._ix = whoosh_index.open_dir(str(self.path))
                if _signature(self._ix.schema) != _signature(build_schema()):
                    logger.warning(
                        "The search index was built by an older version; "
                        "run `manage.py search_index --rebuild`."
                    )
            else:
                self._ix = whoosh_index.create_in(str(self.path), build_schema())
        return self._ix

    def _searcher_now(self):
        """The process's searcher, refreshed if another writer committed meanwhile.

        Not `Searcher.refresh()`: in whoosh 2.7.5 its reader reuse matches segments
        by id only, so it keeps a segment's old deletions (deleted documents come
        back) and even re-adds segments merged away. We reuse the open reader of
        every segment still in the index and hand it the segment's current
        deletions, which keeps a refresh after an edit cheap at 50k documents.
        """
        ix = self._index()
        generation = ix.latest_generation()
        if self._searcher is not None and generation == self._generation:
            return self._searcher
        old = self._searcher.reader() if self._searcher is not None else None
        reader, self._generation = _fresh_reader(ix, old)
        self._searcher = Searcher(reader, fromindex=ix)
        return self._searcher

    def _segments(self) -> list[_Segment]:
        """Per-segment caches of the current searcher, in docnum order."""
        reader = self._searcher.reader()
        cache, segments = {}, []
        for leaf, offset in reader.leaf_readers():
            segment = leaf.segment()
            if segment is None:
                continue
            seg = self._segment_cache.get(segment.segment_id())
            if seg is None or seg.leaf is not leaf or seg.offset != offset:
                seg = _Segment(leaf, offset)
            cache[segment.segment_id()] = seg
            segments.append(seg)
        self._segment_cache = cache
        return segments

    def _docnums_for_key(self, key: str) -> list[int]:
        with self._lock:
            self._searcher_now()
            found = []
            for seg in self._segments():
                postings = seg.postings("key", key)
                if postings:
                    deleted = set(seg.leaf.segment().deleted_docs())
                    found += [seg.offset + d for d in postings[0] if d not in deleted]
            return found

    @contextlib.contextmanager
    def batch(self, *, timeout: float | None = None):
        timeout = self.lock_timeout if timeout is None else timeout
        try:
            writer = _BulkWriter(self._index(), timeout=timeout, delay=0.05)
        except LockError as exc:
            raise IndexBusy(str(exc)) from exc
        batch = _Batch(writer, self)
        try:
            yield batch
        except BaseException:
            writer.cancel()
            raise
        if batch.dirty:
            writer.commit(mergetype=_merge_tiers)
        else:
            writer.cancel()

    def rebuild(self, documents, *, progress=None) -> int:
        """Replace every document in one commit, holding the write lock throughout.

        Searches go on against the old documents until the commit; writers (the
        outbox) wait or keep their rows for later, so nothing indexed meanwhile is
        lost when the rebuilt index replaces the old one.
        """
        with self._lock:
            ix = self._index()
            if _signature(ix.schema) != _signature(build_schema()):
                self.clear()  # the schema changed: start from a new index
                ix = self._index()
        try:
            writer = _BulkWriter(
                ix, timeout=self.lock_timeout, delay=0.1, compound=False
            )
        except LockError as exc:
            raise IndexBusy(str(exc)) from exc
        count = 0
        try:
            for document in documents:
                for fields in _fields_for(document):
                    writer.add_document(**fields)
                count += 1
                if progress:
                    progress(count)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR)
        return count

    def optimize(self) -> int:
        """Merge every segment into one; returns the documents kept.

        Edits leave small segments (merged among themselves) and deletions in the big
        one behind; a search pays a little per segment and per deleted document.
        whoosh's own optimize re-pools every posting (minutes at 50k); this goes
        through the bulk writer like a rebuild, without the database.
        """
        try:
            writer = _BulkWriter(
                self._index(), timeout=self.lock_timeout, delay=0.1, compound=False
            )
        except LockError as exc:
            raise IndexBusy(str(exc)) from exc
        try:
            for segment in writer.segments:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
        except BaseException:
            writer.cancel()
            raise
        count = writer.doc_count()
        writer.commit(mergetype=CLEAR)
        return count

    def clear(self) -> None:
        with self._lock:
            self.close()
            shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            if self._ix is not None:
                self._ix.close()
            self._searcher = self._ix = self._generation = None
            self._segment_cache = {}

    def indexed_digests(self) -> dict[str, str]:
        with self._lock:
            searcher = self._searcher_now()
            return {
                fields["key"]: fields["digest"]
                for fields in searcher.all_stored_fields()
            }

    def document_count(self) -> int:
        with self._lock:
            return self._searcher_now().doc_count()

    # -- searching -------------------------------------------------------------------

    def _compile(self, searcher, request: SearchRequest, mode: str):
        """(plan, match tree) for `mode` "all" or "any", or (plan, None)."""
        parsed = request.parsed
        plan = _Plan(searcher.reader())
        positive = []
        for term in parsed.terms:
            positive += plan.units(term)
        phrases = [plan.phrase(p) for p in parsed.phrases]
        positive += [p for p in phrases if p is not None]
        main = _all(positive) if mode == "all" else _any(positive)
        if main is None:
            if parsed.has_text or not parsed.has_filters:
                return plan, None
            main = EVERY
        excluded = _any(
            [plan.phrase(e, score=False, mark=False) for e in parsed.excluded]
        )
        if excluded is not None:
            main = ("not", main, excluded)
        return plan, main

    def _boosters(self, plan: _Plan, request: SearchRequest) -> list[_Phrase]:
        """Phrases whose exact occurrence lifts a hit above scattered words."""
        terms = [to_simplified(t) for t in request.parsed.terms]
        texts = []
        if len(query_words(" ".join(terms))) > 1:
            # The whole query as one phrase; Chinese terms typed apart
            # ("客户 服务") count as written together.
            joined = ""
            for term in terms:
                if joined and not (is_cjk(joined[-1]) and is_cjk(term[:1])):
                    joined += " "
                joined += term
            texts.append(joined)
        for kind, run, _s in runs(" ".join(terms)):
            if kind == "cjk" and len(run) >= 3:
                texts.append(run)
        return [_Phrase(t) for t in dict.fromkeys(texts)]

    def _execute(self, searcher, request: SearchRequest, plan, query):
        """(plan, ranked [(score, docnum)], total, facets, run)."""
        run = _Run(self, searcher)
        matched = run.matches(query, _filters(request))
        total = sum(m.bit_count() for m in matched)
        facets = {}
        if request.facets and total:
            for name, field in FACET_FIELDS:
                counts = Counter()
                for seg, match in zip(run.segments, matched, strict=True):
                    if match:
                        for value, bitmap in seg.facets(field).items():
                            count = (match & bitmap).bit_count()
                            if count:
                                counts[value] += count
                facets[name] = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
        elif request.facets:
            facets = {name: [] for name, _field in FACET_FIELDS}
        want = request.page * request.per_page
        ranked = run.rank(plan, matched, max(want, RERANK_DEPTH)) if total else []
        ranked = self._rerank(plan, request, run, ranked)
        return plan, ranked, total, facets, run

    def _rerank(self, plan, request, run, ranked):
        """Exact-phrase bonus, then freshness among equal scores."""
        boosters = self._boosters(plan, request)
        if boosters and ranked:
            searcher = run.searcher
            n = max(1, searcher.doc_count_all())
            bonuses = []
            for phrase in boosters:
                idf = 0.0
                for kind, token in phrase.tokens:
                    if kind == "cjk":
                        for gram in dict.fromkeys(bigrams(token)):
                            df = searcher.doc_frequency("body_ng", gram)
                            idf += log(n / (df + 1)) + 1
                    elif token:
                        df = searcher.doc_frequency("body", token)
                        idf += log(n / (df + 1)) + 1
                bonuses.append((phrase, PHRASE_BOOST * idf))
            rescored = []
            for score, docnum in ranked:
                doc = run.doc(docnum)
                for phrase, bonus in bonuses:
                    in_title, in_body = phrase.where(doc)
                    score += bonus * (TITLE_BOOST * in_title + in_body)
                rescored.append((score, docnum))
            ranked = rescored
        return sorted(
            ranked, key=lambda item: (-round(item[0], 6), -run.updated(item[1]))
        )

    def search(self, request: SearchRequest) -> SearchResults:
        with self._lock:
            searcher = self._searcher_now()
            results = SearchResults(page=request.page, per_page=request.per_page)
            if searcher.doc_count_all() == 0:
                return results
            plan, query = self._compile(searcher, request, "all")
            if query is None:
                return results
            found = self._execute(searcher, request, plan, query)
            parsed = request.parsed
            if found[2] == 0 and (parsed.terms or parsed.phrases):
                any_plan, any_query = self._compile(searcher, request, "any")
                if any_query is not None and repr(any_query) != repr(query):
                    fallback = self._execute(searcher, request, any_plan, any_query)
                    if fallback[2]:
                        found = fallback
                        results.mode = "any"
            plan, ranked, total, facets, run = found
            results.total = total
            results.facets = facets
            start = (request.page - 1) * request.per_page
            page = ranked[start : start + request.per_page]
            results.hits = self._hits(run, plan, page, request.highlight)
            results.suggestion = self._did_you_mean(
                searcher, request, zero=results.total == 0
            )
            return results

    def _matches_key(self, request: SearchRequest, key: str) -> bool:
        """Does `request` match the document `key`? (The benchmark's recall check.)"""
        with self._lock:
            searcher = self._searcher_now()
            plan, query = self._compile(searcher, request, "all")
            if query is None:
                return False
            run = _Run(self, searcher)
            matched = run.matches(query, [*_filters(request), ("term", "key", key)])
            return any(matched)

    def _hits(self, run: _Run, plan: _Plan, page, highlight: bool) -> list[Hit]:
        hits = []
        for score, docnum in page:
            fields = run.doc(docnum).fields
            title, body = fields.get("title", ""), fields.get("body", "")
            if highlight:
                title_html = snippet_html(
                    title, _find_spans(title, plan.grams, plan.stems), width=200, top=1
                )
                snippet = snippet_html(body, _find_spans(body, plan.grams, plan.stems))
            else:
                title_html = html.escape(title)
                snippet = html.escape(body[:SNIPPET_CHARS])
            updated = fields.get("updated") or 0
            hits.append(
                Hit(
                    doc_type=fields["doc_type"],
                    object_id=fields["object_id"],
                    title=title,
                    title_html=title_html,
                    snippet_html=snippet,
                    kind=fields.get("kind", ""),
                    manual=fields.get("manual", ""),
                    tags=[t for t in fields.get("tags", "").split(",") if t],
                    updated=datetime.fromtimestamp(updated, tz=UTC)
                    if updated
                    else None,
                    url=fields.get("url", ""),
                    score=float(score),
                )
            )
        return hits

    # -- did you mean, suggestions -----------------------------------------------

    def _did_you_mean(self, searcher, request: SearchRequest, *, zero: bool) -> str:
        vocab = "vocab_staff" if request.audience.level != PUBLIC else "vocab_public"
        reader = searcher.reader()
        changed = False
        corrected = []
        for term in request.parsed.terms:
            out = []
            for kind, run, _s in runs(term):
                low = run.lower()
                if (
                    kind != "en"
                    or not run.isalpha()
                    or len(run) < 3
                    or reader.doc_frequency(vocab, low)
                ):
                    out.append(run)
                    continue
                options = searcher.suggest(vocab, low, limit=1, maxdist=2, prefix=1)
                if options and options[0] != low:
                    out.append(options[0])
                    changed = True
                else:
                    out.append(run)
            corrected.append(" ".join(out) if not is_cjk(term) else "".join(out))
        if not changed:
            return ""
        return " ".join(corrected + [f'"{p}"' for p in request.parsed.phrases])

    def suggest(self, *, text: str, audience: Audience, limit: int = 8) -> list:
        text = to_simplified(text or "").strip()[:100]
        if not text:
            return []
        with self._lock:
            searcher = self._searcher_now()
            clauses = []
            parts = list(runs(text))
            for n, (kind, run, _s) in enumerate(parts):
                if kind == "cjk":
                    if len(run) == 1:
                        clauses.append(Prefix("title_ng", run))
                    else:
                        clauses.append(And([Term("title_ng", g) for g in bigrams(run)]))
                else:
                    low = run.lower()
                    last = n == len(parts) - 1
                    clauses.append(
                        Or([Prefix("title", low), Term("title", stem_word(low))])
                        if last
                        else Term("title", stem_word(low))
                    )
            if not clauses:
                return []
            query = And([*clauses, _permission_query(audience)])
            found = searcher.search(query, limit=limit)
            return [
                Suggestion(
                    title=hit["title"],
                    url=hit.get("url", ""),
                    doc_type=hit["doc_type"],
                    object_id=hit["object_id"],
                )
                for hit in found
            ]


def _fresh_reader(ix, old):
    """(reader of the index's latest generation, generation), reusing `old`'s
    segment readers whose segment is unchanged."""
    info = ix._read_toc()
    reusable = {}
    if old is not None:
        for leaf, _offset in old.leaf_readers():
            segment = leaf.segment()
            if segment is not None:
                reusable[segment.segment_id()] = leaf
    readers = []
    for segment in info.segments:
        leaf = reusable.pop(segment.segment_id(), None)
        if (
            leaf is not None
            and leaf.segment().deleted_count() != segment.deleted_count()
        ):
            # Same files, more deletions: a segment's data never changes, only its
            # deletion set, so keep the open reader and give it the new segment.
            leaf._segment = leaf._perdoc._segment = segment
            leaf.__dict__.pop("deleted_docs_set", None)  # a cached_property
        if leaf is None:
            leaf = SegmentReader(
                ix.storage, info.schema, segment, generation=info.generation
            )
        readers.append(leaf)
    for leaf in reusable.values():
        leaf.close()
    if not readers:
        return EmptyReader(info.schema), info.generation
    if len(readers) == 1:
        return readers[0], info.generation
    return MultiReader(readers, generation=info.generation), info.generation
