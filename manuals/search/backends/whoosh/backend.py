"""`WhooshSearchBackend`: the embedded default backend, a whoosh index in
KB_DATA_DIR/search, implementing base.BaseSearchBackend.

This is the facade: it owns the index, the process's searcher and the per-segment
caches, takes the locks, and hands the work to writer.py (writing), query.py
(searching) and suggest.py (suggestions).

whoosh internals relied on: none here. Public API: `whoosh.index` (exists_in,
open_dir, create_in, latest_generation), `Searcher(reader, fromindex=ix)`,
`leaf_readers()`, `Segment.segment_id()` / `deleted_docs()`, `commit(mergetype=...)`
and `CLEAR`. The segment-reader refresh (postings.fresh_reader) stands in for
`Searcher.refresh()`, which is unreliable in whoosh 2.7.5.
"""

import contextlib
import logging
import shutil
import threading
from pathlib import Path

from django.conf import settings
from whoosh import index as whoosh_index
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from ...analysis import to_simplified
from ..base import Audience, BaseSearchBackend, SearchRequest, SearchResults
from . import query
from .postings import SegmentCache, fresh_reader
from .schema import build_schema, document_fields, schema_signature
from .suggest import suggest_titles
from .writer import WhooshBatch, merge_segment, merge_tiers, open_writer

logger = logging.getLogger(__name__)


class WhooshSearchBackend(BaseSearchBackend):
    lock_timeout = 10.0

    def __init__(self, params: dict):
        super().__init__(params)
        self.path = Path(self.options.get("PATH") or settings.KB_DATA_DIR / "search")
        self.lock_timeout = float(self.options.get("LOCK_TIMEOUT", self.lock_timeout))
        self._ix = None
        self._searcher = None
        self._generation = None
        self._segment_cache: dict[str, SegmentCache] = {}
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
                if schema_signature(self._ix.schema) != schema_signature(
                    build_schema()
                ):
                    logger.warning(
                        "The search index was built by an older version; "
                        "run `manage.py search_index --rebuild`."
                    )
            else:
                self._ix = whoosh_index.create_in(str(self.path), build_schema())
        return self._ix

    def _searcher_now(self):
        """The process's searcher, refreshed if another writer committed meanwhile."""
        ix = self._index()
        generation = ix.latest_generation()
        if self._searcher is not None and generation == self._generation:
            return self._searcher
        old = self._searcher.reader() if self._searcher is not None else None
        reader, self._generation = fresh_reader(ix, old)
        self._searcher = Searcher(reader, fromindex=ix)
        return self._searcher

    def _segments(self) -> list[SegmentCache]:
        """Per-segment caches of the current searcher, in docnum order."""
        reader = self._searcher.reader()
        cache, segments = {}, []
        for leaf, offset in reader.leaf_readers():
            segment = leaf.segment()
            if segment is None:
                continue
            seg = self._segment_cache.get(segment.segment_id())
            if seg is None or seg.offset != offset:
                seg = SegmentCache(leaf, offset)
            elif seg.leaf is not leaf:
                seg.rebind(leaf)  # a new reader of the same files: keep the caches
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
        writer = open_writer(self._index(), timeout=timeout, delay=0.05)
        batch = WhooshBatch(writer, self._docnums_for_key)
        try:
            yield batch
        except BaseException:
            writer.cancel()
            raise
        if batch.dirty:
            writer.commit(mergetype=merge_tiers)
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
            if schema_signature(ix.schema) != schema_signature(build_schema()):
                self.clear()  # the schema changed: start from a new index
                ix = self._index()
        writer = open_writer(ix, timeout=self.lock_timeout, delay=0.1, compound=False)
        count = 0
        try:
            for document in documents:
                for fields in document_fields(document):
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
        writer = open_writer(
            self._index(), timeout=self.lock_timeout, delay=0.1, compound=False
        )
        try:
            for segment in writer.segments:
                merge_segment(writer, segment)
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

    def search(self, request: SearchRequest) -> SearchResults:
        with self._lock:
            searcher = self._searcher_now()
            return query.search(searcher, self._segments(), request)

    def _matches_key(self, request: SearchRequest, key: str) -> bool:
        """Does `request` match the document `key`? (The benchmark's recall check.)"""
        with self._lock:
            searcher = self._searcher_now()
            return query.matches_key(searcher, self._segments(), request, key)

    def suggest(self, *, text: str, audience: Audience, limit: int = 8) -> list:
        text = to_simplified(text or "").strip()[:100]
        if not text:
            return []
        with self._lock:
            return suggest_titles(
                self._searcher_now(), text=text, audience=audience, limit=limit
            )
