"""The query engine: match bitmaps, counted facets, BM25F ranking, the hits shown.

A compiled plan (plan.py) is evaluated on every segment's bitmaps (postings.py):

* total and facets are popcounts of the match bitmap ANDed with per-value facet
  bitmaps (kind, manual, tag), cached per segment: no walk over the matches at all;
* ranking is BM25F (titles x4) over the matches, computed from the decoded postings
  and the field-length bytes, then the top RERANK_DEPTH are re-ranked with an
  exact-phrase bonus and a freshness tie-break;
* a search with no hit for all its words falls back to any of them (mode "any").

whoosh internals relied on: none here (see postings.py). Public API: `Searcher`'s
`doc_count_all()`, `doc_frequency()`, `avg_field_length()`, `stored_fields()`, and
`whoosh.util.numeric.byte_to_length` for the meaning of a length byte.
"""

import heapq
import html
from collections import Counter
from datetime import UTC, datetime
from math import log
from operator import itemgetter

from whoosh.util.numeric import byte_to_length

from ...analysis import bigrams
from ..base import Hit, SearchRequest, SearchResults
from .highlight import SNIPPET_CHARS, find_spans, snippet_html
from .phrases import StoredDoc
from .plan import TITLE_BOOST, Plan, boosters, compile_query, filters_for
from .postings import SegmentCache, bitmap, docnums
from .suggest import did_you_mean

PHRASE_BOOST = 3.0
RERANK_DEPTH = 50  # how many top hits the phrase bonus and tie-break re-rank
BM25_B, BM25_K1 = 0.75, 1.2
FACET_FIELDS = (("kind", "kind"), ("manual", "manual"), ("tag", "tags"))
FILTER_CACHE_SIZE = 64  # filter bitmaps kept per segment


def idf(doc_count: int, doc_frequency: int) -> float:
    """The inverse document frequency of BM25 as ranked here."""
    return log(doc_count / (doc_frequency + 1)) + 1


class QueryRun:
    """Evaluates plans on every segment of one searcher, sharing decoded postings."""

    def __init__(self, searcher, segments: list[SegmentCache]):
        self.searcher = searcher
        self.segments = segments
        self.docs: dict[int, StoredDoc] = {}  # global docnum -> stored fields
        self._postings: dict[tuple, object] = {}
        self._bitmaps: dict[tuple, int] = {}

    def doc(self, docnum: int) -> StoredDoc:
        found = self.docs.get(docnum)
        if found is None:
            found = self.docs[docnum] = StoredDoc(self.searcher.stored_fields(docnum))
        return found

    def postings(self, seg: SegmentCache, field: str, text: str):
        key = (seg.offset, field, text)
        if key not in self._postings:
            self._postings[key] = seg.postings(field, text)
        return self._postings[key]

    def eval(self, seg: SegmentCache, node, restrict: int) -> int:
        if not restrict:
            return 0
        op = node[0]
        if op == "term":
            key = (seg.offset, node[1], node[2])
            found = self._bitmaps.get(key)
            if found is None:
                posted = self.postings(seg, node[1], node[2])
                found = self._bitmaps[key] = bitmap(posted[0], seg.n) if posted else 0
            return found & restrict
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
                for d in docnums(candidates, seg.n)
                if phrase.found(self.doc(offset + d))
            ]
            return bitmap(hits, seg.n)
        if op == "every":
            return restrict
        return 0

    def filter_bitmap(self, seg: SegmentCache, filters: list) -> int:
        # Filters repeat across searches (the audience above all): cache them per
        # segment, like a filter cache; the live-documents bitmap is applied after.
        key = repr(filters)
        found = seg.filters.get(key)
        if found is None:
            found = seg.all
            for node in filters:
                found = self.eval(seg, node, found)
            if len(seg.filters) > FILTER_CACHE_SIZE:
                seg.filters.clear()
            seg.filters[key] = found
        return found

    def matches(self, query, filters) -> list[int]:
        """The match bitmap per segment."""
        return [
            self.eval(seg, query, self.filter_bitmap(seg, filters) & seg.live())
            for seg in self.segments
        ]

    def rank(self, plan: Plan, matched: list[int], depth: int) -> list:
        """[(score, global docnum)] of the best `depth` matches by BM25F."""
        searcher = self.searcher
        total_docs = max(1, searcher.doc_count_all())
        weights = []
        for (field, text), boost in plan.leaves.items():
            df = searcher.doc_frequency(field, text)
            if not df:
                continue
            avg = searcher.avg_field_length(field) or 1.0
            norm = [
                BM25_K1 * (1 - BM25_B + BM25_B * byte_to_length(b) / avg)
                for b in range(256)
            ]
            weights.append(
                (field, text, boost * idf(total_docs, df) * (BM25_K1 + 1), norm)
            )
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
                rest = [d for d in docnums(match, seg.n) if d not in scores]
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


def _facets(run: QueryRun, matched: list[int]) -> dict[str, list[tuple[str, int]]]:
    facets = {}
    for name, field in FACET_FIELDS:
        counts = Counter()
        for seg, match in zip(run.segments, matched, strict=True):
            if match:
                for value, values in seg.facets(field).items():
                    count = (match & values).bit_count()
                    if count:
                        counts[value] += count
        facets[name] = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    return facets


def _execute(searcher, segments, request: SearchRequest, plan, query):
    """(plan, ranked [(score, docnum)], total, facets, run)."""
    run = QueryRun(searcher, segments)
    matched = run.matches(query, filters_for(request))
    total = sum(m.bit_count() for m in matched)
    facets = {}
    if request.facets and total:
        facets = _facets(run, matched)
    elif request.facets:
        facets = {name: [] for name, _field in FACET_FIELDS}
    want = request.page * request.per_page
    ranked = run.rank(plan, matched, max(want, RERANK_DEPTH)) if total else []
    ranked = _rerank(request, run, ranked)
    return plan, ranked, total, facets, run


def _rerank(request: SearchRequest, run: QueryRun, ranked):
    """Exact-phrase bonus, then freshness among equal scores."""
    phrases = boosters(request)
    if phrases and ranked:
        searcher = run.searcher
        n = max(1, searcher.doc_count_all())
        bonuses = []
        for phrase in phrases:
            weight = 0.0
            for kind, token in phrase.tokens:
                if kind == "cjk":
                    for gram in dict.fromkeys(bigrams(token)):
                        weight += idf(n, searcher.doc_frequency("body_ng", gram))
                elif token:
                    weight += idf(n, searcher.doc_frequency("body", token))
            bonuses.append((phrase, PHRASE_BOOST * weight))
        rescored = []
        for score, docnum in ranked:
            doc = run.doc(docnum)
            for phrase, bonus in bonuses:
                in_title, in_body = phrase.where(doc)
                score += bonus * (TITLE_BOOST * in_title + in_body)
            rescored.append((score, docnum))
        ranked = rescored
    return sorted(ranked, key=lambda item: (-round(item[0], 6), -run.updated(item[1])))


def _hits(run: QueryRun, plan: Plan, page, highlight: bool) -> list[Hit]:
    hits = []
    for score, docnum in page:
        fields = run.doc(docnum).fields
        title, body = fields.get("title", ""), fields.get("body", "")
        if highlight:
            title_html = snippet_html(
                title, find_spans(title, plan.grams, plan.stems), width=200, top=1
            )
            snippet = snippet_html(body, find_spans(body, plan.grams, plan.stems))
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
                updated=datetime.fromtimestamp(updated, tz=UTC) if updated else None,
                url=fields.get("url", ""),
                score=float(score),
            )
        )
    return hits


def search(searcher, segments, request: SearchRequest) -> SearchResults:
    """Run `request` on `searcher` (whose per-segment caches are `segments`)."""
    results = SearchResults(page=request.page, per_page=request.per_page)
    if searcher.doc_count_all() == 0:
        return results
    reader = searcher.reader()
    plan, query = compile_query(reader, request, "all")
    if query is None:
        return results
    found = _execute(searcher, segments, request, plan, query)
    parsed = request.parsed
    if found[2] == 0 and (parsed.terms or parsed.phrases):
        any_plan, any_query = compile_query(reader, request, "any")
        if any_query is not None and repr(any_query) != repr(query):
            fallback = _execute(searcher, segments, request, any_plan, any_query)
            if fallback[2]:
                found = fallback
                results.mode = "any"
    plan, ranked, total, facets, run = found
    results.total = total
    results.facets = facets
    start = (request.page - 1) * request.per_page
    page = ranked[start : start + request.per_page]
    results.hits = _hits(run, plan, page, request.highlight)
    results.suggestion = did_you_mean(searcher, request, zero=results.total == 0)
    return results


def matches_key(searcher, segments, request: SearchRequest, key: str) -> bool:
    """Does `request` match the document `key`? (The benchmark's recall check.)"""
    plan, query = compile_query(searcher.reader(), request, "all")
    if query is None:
        return False
    run = QueryRun(searcher, segments)
    matched = run.matches(query, [*filters_for(request), ("term", "key", key)])
    return any(matched)
