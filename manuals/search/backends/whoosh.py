"""The embedded default backend: a whoosh index in KB_DATA_DIR/search.

Documents are one whoosh document per audience variant (see registry.Variant): a search
for the public only ever touches public variants, so text of internal sections can
never match, count, facet or show up in a snippet. Restricted documents carry their
group ids and are filtered at query time.

Matching of Chinese runs uses character bigrams (so any fragment matches), scoring adds
the rjieba words, and titles weigh more than bodies. Snippets come from the character
offsets stored in the index ("pinpoint" highlighting, no re-tokenizing).

whoosh allows one writer at a time across processes: `batch()` waits for the lock
(`writer(timeout=...)`) and raises IndexBusy when it cannot get it; AsyncWriter is
never used because it loses updates when a process exits hard.
"""

import contextlib
import html
import logging
import shutil
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.query import (
    And,
    AndMaybe,
    AndNot,
    Every,
    FuzzyTerm,
    Or,
    Phrase,
    Prefix,
    Term,
)
from whoosh.reading import EmptyReader, MultiReader, SegmentReader, TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.writing import CLEAR

from ..analysis import (
    STOP_WORDS,
    BigramAnalyzer,
    VocabularyAnalyzer,
    WordAnalyzer,
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
WORD_BOOST = 1.0
NOBODY = "nobody"  # restricted_to value of a restricted document without groups
SNIPPET_CHARS = 160
RERANK_DEPTH = 50  # how many top hits the phrase bonus and tie-break re-rank
TAG_SEP = "\x1f"


def build_schema() -> Schema:
    words, grams, vocab = WordAnalyzer(), BigramAnalyzer(), VocabularyAnalyzer()
    return Schema(
        uid=ID(unique=True, stored=True),
        key=ID(stored=True),
        doc_type=ID(stored=True),
        object_id=STORED,
        audiences=KEYWORD,
        restricted_to=KEYWORD,
        kind=ID(stored=True, sortable=True),
        manual=ID(stored=True, sortable=True),
        tags=KEYWORD(stored=True, commas=True, scorable=False),
        tag_list=ID(sortable=True),  # the tags as one column value, for facets
        updated=NUMERIC(int, bits=64, stored=True, sortable=True),
        title=TEXT(analyzer=words, stored=True, chars=True),
        title_ng=TEXT(analyzer=grams, chars=True),
        body=TEXT(analyzer=words, stored=True, chars=True),
        body_ng=TEXT(analyzer=grams, chars=True),
        vocab_public=TEXT(analyzer=vocab, phrase=False),
        vocab_staff=TEXT(analyzer=vocab, phrase=False),
        digest=STORED,
        url=STORED,
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
            "tag_list": TAG_SEP.join(document.tags),
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


class _Batch(IndexBatch):
    def __init__(self, writer):
        self.writer = writer
        self.count = 0
        self.dirty = False

    def index(self, document: SearchDocument) -> None:
        self.writer.delete_by_term("key", document.key)
        for fields in _fields_for(document):
            self.writer.add_document(**fields)
        self.count += 1
        self.dirty = True

    def delete(self, key: str) -> None:
        self.writer.delete_by_term("key", key)
        self.dirty = True


def _permission_query(audience: Audience):
    if audience.level == PUBLIC:
        return Term("audiences", PUBLIC)
    if audience.level == STAFF:
        allowed = [Term("restricted_to", OPEN)]
        allowed += [Term("restricted_to", f"g{g}") for g in sorted(audience.group_ids)]
        return And([Term("audiences", STAFF), Or(allowed)])
    return Term("audiences", STAFF)  # "all": superusers read everything


def _any_of(queries):
    queries = [q for q in queries if q is not None]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else Or(queries)


def _all_of(queries):
    queries = [q for q in queries if q is not None]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else And(queries)


def _query_terms(reader, query, fields) -> set[tuple[str, bytes]]:
    """(field, bytes) of every term `query` can match in `fields`, expanded.

    Query.existing_terms() would do, but in whoosh 2.7.5 it reuses its `fieldname`
    argument as a loop variable and so drops every field after the first.
    """
    terms = set()
    for leaf in query.leaves():
        if leaf.field() not in fields:
            continue
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in fields:
                field = reader.schema[fieldname]
                terms.add(
                    (
                        fieldname,
                        text if isinstance(text, bytes) else field.to_bytes(text),
                    )
                )
    return terms


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


def _score(hit) -> float:
    # With sortedby, whoosh reports the sort key; its first part is -score.
    key = hit.score
    if isinstance(key, tuple):
        key = -key[0]
    return float(key or 0.0)


class WhooshSearchBackend(BaseSearchBackend):
    # Class attributes so a deployment can subclass and tune.
    weighting = BM25F(B=0.75, K1=1.2)
    lock_timeout = 10.0

    def __init__(self, params: dict):
        super().__init__(params)
        self.path = Path(self.options.get("PATH") or settings.KB_DATA_DIR / "search")
        self.lock_timeout = float(self.options.get("LOCK_TIMEOUT", self.lock_timeout))
        self._ix = None
        self._searcher = None
        self._generation = None
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
        self._searcher = Searcher(reader, weighting=self.weighting, fromindex=ix)
        return self._searcher

    @contextlib.contextmanager
    def batch(self, *, timeout: float | None = None):
        timeout = self.lock_timeout if timeout is None else timeout
        try:
            writer = self._index().writer(timeout=timeout, delay=0.05)
        except LockError as exc:
            raise IndexBusy(str(exc)) from exc
        batch = _Batch(writer)
        try:
            yield batch
        except BaseException:
            writer.cancel()
            raise
        if batch.dirty:
            writer.commit()
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
            if set(ix.schema.names()) != set(build_schema().names()):
                self.clear()  # the schema changed: start from a new index
                ix = self._index()
        try:
            writer = ix.writer(timeout=self.lock_timeout, delay=0.1, limitmb=256)
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
        writer.commit(mergetype=CLEAR, optimize=True)
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

    # -- building queries ----------------------------------------------------------

    @staticmethod
    def _either(field: str, text: str, boost: float = 1.0, cls=Term):
        return Or(
            [
                cls("title" + field, text, boost=TITLE_BOOST * boost),
                cls("body" + field, text, boost=boost),
            ]
        )

    def _cjk_clause(self, run: str):
        """Matches docs containing the run (its bigrams); the words add score."""
        if len(run) == 1:
            return self._either("_ng", run, cls=Prefix)
        grams = list(dict.fromkeys(bigrams(run)))
        match = _all_of([self._either("_ng", g) for g in grams])
        words = [w for w in query_words(run) if len(w) > 1]
        bonus = _any_of([self._either("", w, WORD_BOOST) for w in words])
        return AndMaybe(match, bonus) if bonus is not None else match

    def _en_clause(self, searcher, word: str):
        low = word.lower()
        if low in STOP_WORDS:
            return None
        term = stem_word(low)
        reader = searcher.reader()
        known = reader.doc_frequency("title", term) or reader.doc_frequency(
            "body", term
        )
        if known or not low.isalpha() or len(low) < 3:
            return self._either("", term)
        # Unknown: a fragment still being typed, or a typo.
        maxdist = 1 if len(low) <= 5 else 2
        return Or(
            [
                self._either("", low, 0.8, cls=Prefix),
                Or(
                    [
                        FuzzyTerm(
                            "title",
                            term,
                            boost=TITLE_BOOST * 0.6,
                            maxdist=maxdist,
                            prefixlength=1,
                        ),
                        FuzzyTerm(
                            "body", term, boost=0.6, maxdist=maxdist, prefixlength=1
                        ),
                    ]
                ),
            ]
        )

    def _units(self, searcher, text: str) -> list:
        """One clause per Chinese word (or fragment) or English word of a query term."""
        units = []
        for kind, run, _start in runs(to_simplified(text)):
            if kind == "cjk":
                units += [self._cjk_clause(chunk) for chunk in cjk_chunks(run)]
            else:
                clause = self._en_clause(searcher, run)
                if clause is not None:
                    units.append(clause)
        return units

    def _phrase_clause(self, phrase: str, boost: float = 1.0):
        text = to_simplified(phrase)
        cjk_runs = [r for k, r, _s in runs(text) if k == "cjk"]
        if cjk_runs and len(cjk_runs) == len(list(runs(text))):
            # A Chinese phrase: the exact character sequence, run by run.
            clauses = []
            for run in cjk_runs:
                if len(run) < 3:
                    clauses.append(self._cjk_clause(run))
                    continue
                grams = bigrams(run)
                clauses.append(
                    Or(
                        [
                            Phrase("title_ng", grams, boost=TITLE_BOOST * boost),
                            Phrase("body_ng", grams, boost=boost),
                        ]
                    )
                )
            return _all_of(clauses)
        words = query_words(text)
        if not words:
            return None
        if len(words) == 1:
            return self._either("", words[0], boost)
        return Or(
            [
                Phrase("title", words, boost=TITLE_BOOST * boost),
                Phrase("body", words, boost=boost),
            ]
        )

    def _boosters(self, parsed) -> list:
        """Optional clauses that lift exact phrases above scattered words."""
        boosters = []
        text = to_simplified(" ".join(parsed.terms))
        words = query_words(text)
        if len(words) > 1:
            boosters.append(
                Or(
                    [
                        Phrase("title", words, boost=TITLE_BOOST * PHRASE_BOOST),
                        Phrase("body", words, boost=PHRASE_BOOST),
                    ]
                )
            )
        for kind, run, _s in runs(text):
            if kind == "cjk" and len(run) >= 3:
                grams = bigrams(run)
                boosters.append(
                    Or(
                        [
                            Phrase("title_ng", grams, boost=TITLE_BOOST * PHRASE_BOOST),
                            Phrase("body_ng", grams, boost=PHRASE_BOOST),
                        ]
                    )
                )
        return boosters

    def _filters(self, request: SearchRequest) -> list:
        """Permission first, then kind (any of), manual (any of) and tags (each)."""
        filters = [_permission_query(request.audience)]
        kinds = list(dict.fromkeys([*request.parsed.kinds, *request.kinds]))
        if kinds:
            filters.append(_any_of([Term("kind", k) for k in kinds]))
        if request.manuals:
            manuals = dict.fromkeys(request.manuals)
            filters.append(_any_of([Term("manual", str(m)) for m in manuals]))
        for tag in dict.fromkeys(request.tags):
            filters.append(Term("tags", tag))
        return filters

    def _query(self, searcher, request: SearchRequest, mode: str):
        """(query to run, positive clauses for highlighting) or (None, None)."""
        parsed = request.parsed
        positive = []
        for term in parsed.terms:
            positive += self._units(searcher, term)
        phrases = [self._phrase_clause(p) for p in parsed.phrases]
        phrases = [p for p in phrases if p is not None]
        if mode == "all":
            main = _all_of(positive + phrases)
        else:
            main = _any_of(positive + phrases)
        if main is None:
            if parsed.has_text or not parsed.has_filters:
                return None, None
            main = Every()
        query = _all_of([main, *self._filters(request)])
        excluded = [self._phrase_clause(e) for e in parsed.excluded]
        excluded = _any_of(excluded)
        if excluded is not None:
            query = AndNot(query, excluded)
        return query, main

    # -- searching -------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        with self._lock:
            searcher = self._searcher_now()
            results = SearchResults(page=request.page, per_page=request.per_page)
            query, main = self._query(searcher, request, "all")
            if query is None or searcher.doc_count_all() == 0:
                return results
            ranked, total, facets = self._run(searcher, query, request)
            parsed = request.parsed
            if total == 0 and (parsed.terms or parsed.phrases):
                any_query, any_main = self._query(searcher, request, "any")
                if any_query is not None and any_query != query:
                    any_ranked, any_total, any_facets = self._run(
                        searcher, any_query, request
                    )
                    if any_total:
                        ranked, total, facets = any_ranked, any_total, any_facets
                        main, results.mode = any_main, "any"
            results.total = total
            results.facets = facets
            start = (request.page - 1) * request.per_page
            page = ranked[start : start + request.per_page]
            results.hits = self._hits(searcher, page, main, request.highlight)
            results.suggestion = self._did_you_mean(
                searcher, request, zero=results.total == 0
            )
            return results

    def _run(self, searcher, query, request: SearchRequest):
        """(ranked [(docnum, score)], total, facets) for one query.

        Top-k collection lets whoosh skip blocks that cannot make the top (no
        sortedby/groupedby, which would score every match). The exact-phrase bonus
        and the freshness tie-break re-rank that top; total and facets come from a
        pass over the matching document ids and the kind/manual/tags columns,
        which costs far less than scoring them.
        """
        want = request.page * request.per_page
        top = searcher.search(query, limit=max(want, RERANK_DEPTH))
        scored = {hit.docnum: hit.score or 0.0 for hit in top}
        boosters = self._boosters(request.parsed)
        if boosters and scored:
            matcher = _any_of(boosters).matcher(searcher)
            for docnum in sorted(scored):
                if not matcher.is_active():
                    break
                if matcher.id() < docnum:
                    matcher.skip_to(docnum)
                if matcher.is_active() and matcher.id() == docnum:
                    scored[docnum] += matcher.score()
        updated = searcher.reader().column_reader("updated")
        ranked = sorted(
            scored.items(), key=lambda item: (-round(item[1], 6), -updated[item[0]])
        )
        total, facets = self._count(searcher, query, request.facets)
        if not total:
            ranked = []
        return ranked, total, facets

    @staticmethod
    def _count(searcher, query, with_facets: bool):
        reader = searcher.reader()
        docnums = searcher.docs_for_query(query)
        if not with_facets:
            return sum(1 for _ in docnums), {}
        kinds, manuals, tags = Counter(), Counter(), Counter()
        kind_col = reader.column_reader("kind")
        manual_col = reader.column_reader("manual")
        tags_col = reader.column_reader("tag_list")
        total = 0
        for docnum in docnums:
            total += 1
            kinds[kind_col[docnum]] += 1
            manuals[manual_col[docnum]] += 1
            value = tags_col[docnum]
            if value:
                tags.update(value.split(TAG_SEP))
        facets = {}
        for name, counter in (("kind", kinds), ("manual", manuals), ("tag", tags)):
            facets[name] = sorted(
                ((str(v), n) for v, n in counter.items() if v not in (None, "", "-")),
                key=lambda item: (-item[1], item[0]),
            )
        return total, facets

    def _spans(self, searcher, docnums, main, fields) -> dict[int, list]:
        """docnum -> [(start, end)] of matched terms, from the stored offsets."""
        spans: dict[int, list] = {docnum: [] for docnum in docnums}
        if main is None or not docnums:
            return spans
        docnums = sorted(spans)
        for fieldname, btext in _query_terms(searcher.reader(), main, fields):
            try:
                matcher = searcher.postings(fieldname, btext)
            except TermNotFound:
                continue
            for docnum in docnums:
                if not matcher.is_active():
                    break
                if matcher.id() < docnum:
                    matcher.skip_to(docnum)
                    if not matcher.is_active():
                        break
                if matcher.id() == docnum:
                    spans[docnum] += [
                        (s, e) for _p, s, e in matcher.value_as("characters")
                    ]
        return spans

    def _hits(self, searcher, page, main, highlight: bool) -> list[Hit]:
        docnums = [docnum for docnum, _score in page]
        if highlight:
            title_spans = self._spans(searcher, docnums, main, {"title", "title_ng"})
            body_spans = self._spans(searcher, docnums, main, {"body", "body_ng"})
        hits = []
        for docnum, score in page:
            fields = searcher.stored_fields(docnum)
            title, body = fields.get("title", ""), fields.get("body", "")
            if highlight:
                title_html = snippet_html(title, title_spans[docnum], width=200, top=1)
                snippet = snippet_html(body, body_spans[docnum])
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
                        clauses.append(
                            _all_of([Term("title_ng", g) for g in bigrams(run)])
                        )
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
            query = _all_of([*clauses, _permission_query(audience)])
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
