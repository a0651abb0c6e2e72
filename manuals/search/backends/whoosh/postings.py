"""Reading segments in bulk: postings as bitmaps, field lengths, deletions, readers.

Searching does not go through whoosh's matcher tree (~5-20 microseconds of Python per
matching document and query node, twice: top-k, then total and facets). Each query
term's posting blocks are decoded whole (one zlib + unpickle per 128 postings) and
turned into per-segment bitmaps: Python ints with one byte per document, so AND, OR,
NOT and popcount run in C.

whoosh internals relied on (whoosh-reloaded 2.7.5, W3 codec). Each one is checked by
tests/manuals/search/test_whoosh_reference.py, which compares results and scores with
a brute-force reference; a change shows up there as "whoosh behaviour changed
underneath", or as an AttributeError here.

* `read_postings` walks a term's posting blocks through `W3LeafMatcher` attributes
  (`_postfile`, `_dataoffset`, `_nextoffset`, `_compression`, `_lastblock`,
  `_goto()`) and decodes each block itself: a zlib-compressed pickle of
  (delta-encoded docnums, weights as None / one float / a tuple, values). It finds the
  postings file as `SegmentReader._terms._postfile` (W3TermsReader). Why: about
  0.25 microseconds a posting, against 0.35 through the matcher's own `_read_ids()` /
  `_read_weights()` (Python generators, and just as private) and 0.55-0.65 through
  the public `is_active()` / `id()` / `weight()` / `next()` (measured on 1.4 M postings
  of the 10k benchmark index); decoding is most of a search's time. What would break:
  a new block layout or attribute name gives wrong docnums or weights, or an error.
* `SegmentCache.lengths` reads the field-length column in one go:
  `SegmentReader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)` and the
  column reader's `_dbfile`, `_basepos` and `_count` (one length byte per document,
  written up to the last document with a non-zero length). Why: 0.3 ms a field per
  10k documents, against 26 ms for the public `doc_field_length()` per document
  (paid again for every new segment). What would break: another column layout gives
  wrong BM25 length normalisation.

Public whoosh API used besides: `TermInfo` (doc_frequency, min_id, weight,
is_inlined, inlined_postings), `SegmentReader.term_info()`, `codec()`, `lexicon()`,
`column_reader()`, `Segment.deleted_docs()` / `deleted_count()` / `segment_id()`,
`whoosh.index.TOC.read()` and `whoosh.util.numeric.byte_to_length` (the length byte's
meaning, used for BM25).
"""

import pickle
import zlib
from collections import deque
from itertools import accumulate, compress, repeat

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.index import TOC
from whoosh.reading import EmptyReader, MultiReader, SegmentReader, TermNotFound


def bitmap(ids, n: int) -> int:
    """A set of docnums as an int with one byte per document (bit 8*i for docnum i).

    A byte rather than a bit per document because bytearray item assignment runs
    in C (via map) while setting bits needs a Python loop; AND/OR/NOT/bit_count on
    50 KB ints take microseconds.
    """
    flags = bytearray(n)
    deque(map(flags.__setitem__, ids, repeat(1)), maxlen=0)
    return int.from_bytes(flags, "little")


def docnums(bitmap: int, n: int):
    """The docnums set in `bitmap`, ascending."""
    return compress(range(n), bitmap.to_bytes(n, "little"))


def read_postings(leaf, info, fmt):
    """(docnums, weights) of one term of segment reader `leaf`, reading whole blocks.

    Deleted documents are included (callers AND with the live documents). A term in
    one document needs no block at all: its TermInfo already holds the docnum and the
    weight (most terms of a small segment, and the rare words).
    """
    if info.doc_frequency() == 1:
        return [info.min_id()], [info.weight()]
    if info.is_inlined():  # pragma: no cover - the W3 codec never inlines
        ids, weights, _values = info.inlined_postings()
        return list(ids), list(weights)
    matcher = leaf.codec().postings_reader(leaf._terms._postfile, info, fmt)

    postfile = matcher._postfile
    ids: list[int] = []
    weights: list[float] = []
    while True:
        data = postfile.get(
            matcher._dataoffset, matcher._nextoffset - matcher._dataoffset
        )
        if matcher._compression:
            data = zlib.decompress(data)
        deltas, block_weights, _values = pickle.loads(data)  # noqa: S301 - our index
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


class SegmentCache:
    """Caches for one segment: decoded lengths, facet and filter bitmaps.

    A segment's files never change, only its deletions, so everything but the
    live-documents bitmap lives as long as the segment, across the readers opened
    on it (see `rebind`).
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
        self.filters: dict[str, int] = {}  # filter cache, see query.QueryRun
        self._updated = None

    def rebind(self, leaf) -> None:
        """Use `leaf`, a new reader of the same segment (with more deletions)."""
        self.leaf = leaf
        self._live = self._deleted_count = self._updated = None

    def live(self) -> int:
        """Bitmap of the documents not deleted."""
        segment = self.leaf.segment()
        count = segment.deleted_count() if segment is not None else 0
        if self._live is None or count != self._deleted_count:
            deleted = segment.deleted_docs() if count else ()
            self._live = self.all & ~bitmap(deleted, self.n) if count else self.all
            self._deleted_count = count
        return self._live

    def postings(self, field: str, text):
        """(docnums, weights) of one term in this segment, or None."""
        leaf = self.leaf
        if field not in leaf.schema:
            return None
        try:
            info = leaf.term_info(field, text)
        except TermNotFound:
            return None
        return read_postings(leaf, info, leaf.schema[field].format)

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

    def term_bitmap(self, field: str, text) -> int:
        found = self.postings(field, text)
        return bitmap(found[0], self.n) if found else 0

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


def fresh_reader(ix, old):
    """(reader of the index's latest generation, generation), reusing `old`'s
    segment readers whose segment is unchanged.

    Not `Searcher.refresh()` or `ix.reader(reuse=...)`: in whoosh 2.7.5 their reader
    reuse matches segments by id only, so it keeps a segment's old deletions (deleted
    documents come back) and even re-adds segments merged away. A segment with new
    deletions gets a new reader (under a millisecond to open); its `SegmentCache`
    survives (see `rebind`), which keeps a refresh after an edit cheap at 50k.
    """
    info = TOC.read(ix.storage, ix.indexname)
    reusable = {}
    if old is not None:
        for leaf, _offset in old.leaf_readers():
            segment = leaf.segment()
            if segment is not None:
                reusable[segment.segment_id()] = leaf
    readers, stale = [], list(reusable.values())
    for segment in info.segments:
        leaf = reusable.pop(segment.segment_id(), None)
        if leaf is None or leaf.segment().deleted_count() != segment.deleted_count():
            leaf = SegmentReader(
                ix.storage, info.schema, segment, generation=info.generation
            )
        else:
            stale.remove(leaf)
        readers.append(leaf)
    for leaf in stale:
        leaf.close()
    if not readers:
        return EmptyReader(info.schema), info.generation
    if len(readers) == 1:
        return readers[0], info.generation
    return MultiReader(readers, generation=info.generation), info.generation
