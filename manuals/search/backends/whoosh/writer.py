"""Writing the index: the bulk writer, the merge policy of edits, the write lock.

Every write goes through `BulkWriter`, a whoosh SegmentWriter that inverts documents
in memory and writes whole posting blocks, instead of whoosh's per-posting pool (an
external sort that pickles every posting twice). The files are whoosh's own (W3
codec), so every whoosh reader, merge and writer works on them as usual. Edits commit
one small segment each, merged among themselves only (`merge_tiers`), never rewriting
the big segment inline.

whoosh allows one writer at a time across processes: `open_writer` waits for the lock
(`timeout=...`) and raises IndexBusy when it cannot get it; AsyncWriter is never used
because it loses updates when a process exits hard.

whoosh internals relied on (whoosh-reloaded 2.7.5; checked by
tests/manuals/search/test_whoosh_reference.py, which indexes through this writer and
compares results and scores with a brute-force reference):

* `SegmentWriter` subclassed: it overrides the public `add_document()` and
  `add_reader()` and the private hook `_flush_segment()` (called by `commit()`), and
  uses the writer's `perdocwriter`, `fieldwriter`, `docnum`, `segments`, `schema`,
  `storage`, `write_per_doc()`, `_check_state()` and `_added`.
* Whole blocks are written through `fieldwriter._postwriter` (W3PostingsWriter) by
  setting its `_ids`, `_weights`, `_values`, `_maxweight`, `_minlength` and
  `_maxlength` and calling `_write_block()`; the block size is the codec's 128. Why:
  0.38 microseconds a posting against 1.04 through the public
  `fieldwriter.add(docnum, weight, vbytes, length)` (5.7 M postings in the 10k
  benchmark index: ~4 s more per 10k documents rebuilt). What would break: postings
  written with stale block statistics or an error at commit.
* `add_reader` reads a segment's postings with postings.read_postings (see there).

Public whoosh API used besides: `commit(mergetype=...)` with a merge-policy callable,
`whoosh.writing.CLEAR`, `LockError`, `delete_document()`, `SegmentReader`.
"""

from array import array
from collections import Counter
from itertools import repeat

from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from ...analysis import _KbAnalyzer, to_simplified
from ...registry import SearchDocument
from ..base import IndexBatch, IndexBusy
from .postings import read_postings
from .schema import document_fields

SMALL_SEGMENT = 2000  # segments below this many documents are merged among themselves
MAX_SMALL_SEGMENTS = 8  # ... once a tier of like-sized ones has more than this
BLOCK = 128  # postings per block, as whoosh's W3 codec writes them


class BulkWriter(SegmentWriter):
    """A SegmentWriter that inverts in memory and writes whole posting blocks.

    whoosh's writer sends every posting through an external merge sort (pickled to
    disk and back) and looks up each posting's field length again at flush: ~10
    microseconds a posting, ~800 postings a section. Here the postings of the new
    segment are kept as arrays per term (8 bytes a posting, ~250 MB at 50k sections)
    and written block by block.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self._inv: dict[str, dict[bytes, tuple[array, array]]] = {}
        self._lengths: dict[str, array] = {}

    def _postings_of(self, name: str, tbytes: bytes) -> tuple[array, array]:
        postings = self._inv.setdefault(name, {})
        entry = postings.get(tbytes)
        if entry is None:
            entry = postings[tbytes] = (array("I"), array("f"))
        return entry

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
                for tbytes, freq, weight in items:
                    ids, weights = self._postings_of(name, tbytes)
                    ids.append(docnum)
                    weights.append(weight)
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
        for (name, tbytes), info in reader:
            if name not in names:
                continue
            ids, weights = read_postings(reader, info, schema[name].format)
            entry = None
            for old, weight in zip(ids, weights, strict=True):
                new = docmap.get(old) if docmap is not None else base + old
                if new is None:
                    continue  # deleted
                if entry is None:
                    entry = self._postings_of(name, tbytes)
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


def open_writer(ix, *, timeout: float, delay: float, **kwargs) -> BulkWriter:
    """A BulkWriter holding the write lock, waiting up to `timeout` seconds for it."""
    try:
        return BulkWriter(ix, timeout=timeout, delay=delay, **kwargs)
    except LockError as exc:
        raise IndexBusy(str(exc)) from exc


def merge_tiers(writer, segments):
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
            merge_segment(writer, segment)
    return keep


def merge_segment(writer, segment) -> None:
    """Copy `segment`'s live documents into the segment `writer` is writing."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    writer.add_reader(reader)
    reader.close()


class WhooshBatch(IndexBatch):
    """Changes of one `batch()`: deletions by key, then the new documents."""

    def __init__(self, writer, docnums_for_key):
        self.writer = writer
        # key -> global docnums of its live documents, read with the process's open
        # reader instead of writer.delete_by_term, which opens a searcher on every
        # segment (~100 ms at 50k). batch() refreshed that reader to the generation
        # this writer started from, so its docnums are the writer's.
        self.docnums_for_key = docnums_for_key
        self.count = 0
        self.dirty = False

    def _delete_key(self, key: str) -> None:
        for docnum in self.docnums_for_key(key):
            self.writer.delete_document(docnum)

    def index(self, document: SearchDocument) -> None:
        self._delete_key(document.key)
        for fields in document_fields(document):
            self.writer.add_document(**fields)
        self.count += 1
        self.dirty = True

    def delete(self, key: str) -> None:
        self._delete_key(key)
        self.dirty = True
