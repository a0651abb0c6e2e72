"""The PostgreSQL full-text backend: our analysis, stored in tsvectors, GIN-indexed.

Select it with KB_SEARCH_BACKEND=postgres (or the dotted path of
PostgresSearchBackend) on a site whose database is PostgreSQL.

* Documents live in kb_search_document (models.PgDocument), one row per audience
  variant as in the whoosh backend, so a public search only ever touches public text.
  Restricted rows carry their group ids and are filtered at query time.
* Text is analysed in Python (pg_analysis: the whoosh analysis as tsvector literals:
  bigrams for matching Chinese, rjieba words and English stems for scoring and
  phrases), title weight A, body weight B. PostgreSQL's parser never sees our text.
* A query becomes a tsquery literal the same way: every word first, any word as the
  fallback. One statement counts the matches, their facets (kind, manual, tags) and
  picks up to CANDIDATES rows by query words in the small inline title vector, then
  freshness; a second ranks those with ts_rank over the whole vector (title 4x the
  body) plus an exact-phrase bonus, fresher first among equals. Highlighting runs in
  Python on the shown page only, with the whoosh backend's snippet builder.
* "Did you mean" and typo tolerance use kb_search_term, a vocabulary with document
  counts that the writer keeps exact (restricted text never enters it).
* Writers take a transaction-scoped advisory lock (and a process lock), so `batch()`
  waits like whoosh's writer and raises IndexBusy on timeout; searches never wait.
"""

import contextlib
import html
import threading
from collections import Counter

from django.db import OperationalError, connections, transaction

from .. import InvalidSearchBackendError
from ..analysis import (
    STOP_WORDS,
    bigrams,
    cjk_chunks,
    is_cjk,
    query_words,
    runs,
    stem_word,
    to_simplified,
)
from ..pg_analysis import (
    analyse,
    edit_distance,
    highlight_spans,
    quote,
    word_lexeme,
)
from ..registry import PUBLIC, STAFF, SearchDocument
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
from .whoosh import SNIPPET_CHARS, snippet_html

TITLE_BOOST = 4.0
PHRASE_BOOST = 3.0
RERANK_DEPTH = 50  # how many top rows the exact-phrase bonus re-ranks
# ts_rank weights {D, C, B, A}: body (B) counts a quarter of the title (A).
RANK_WEIGHTS = [0.1, 0.1, 1.0 / TITLE_BOOST, 1.0]
RANK_NORM = 1 / 1.64493406685  # ts_rank's scale of one matched lexeme (pi^2 / 6)
LOCK_ID = 0x6B625F736561726B  # pg_advisory_xact_lock key of the index writer
# Rows ranked exactly per query; broader results are cut to this many first, by
# query words in the title, then freshness (see _match).
CANDIDATES = 1000
FLUSH_EVERY = 500
LOCK_NOT_AVAILABLE = "55P03"

INSERT_SQL = (
    "INSERT INTO kb_search_document (uid, key, doc_type, object_id, for_public, "
    "for_staff, restricted, group_ids, kind, manual, tags, updated, title, body, url, "
    "digest, vector, title_vector, stems, words) VALUES (%s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::tsvector, %s::tsvector, %s, %s)"
)
TERM_UPSERT_SQL = (
    "INSERT INTO kb_search_term (field, term, df) VALUES (%s, %s, %s) "
    "ON CONFLICT (field, term) DO UPDATE SET df = kb_search_term.df + EXCLUDED.df"
)


# -- tsquery text ------------------------------------------------------------------


def _lex(lexeme: str, *, prefix: bool = False, weight: str = "") -> str:
    flags = ("*" if prefix else "") + weight
    return quote(lexeme) + (":" + flags if flags else "")


def _join(parts, op: str) -> str | None:
    parts = [p for p in parts if p]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return "(" + f" {op} ".join(parts) + ")"


def _all_of(parts) -> str | None:
    return _join(parts, "&")


def _any_of(parts) -> str | None:
    return _join(parts, "|")


def _phrase(lexemes, weight: str = "") -> str:
    return _join([_lex(x, weight=weight) for x in lexemes], "<->")


class _Terms:
    """Lexemes a query matches, for the rank query and for highlighting."""

    def __init__(self):
        self.exact: dict[str, None] = {}
        self.prefixes: dict[str, None] = {}

    def exact_lex(self, lexeme: str) -> str:
        self.exact[lexeme] = None
        return _lex(lexeme)

    def prefix_lex(self, lexeme: str) -> str:
        self.prefixes[lexeme] = None
        return _lex(lexeme, prefix=True)

    def rank_query(self) -> str | None:
        parts = [_lex(x) for x in self.exact]
        parts += [_lex(x, prefix=True) for x in self.prefixes]
        return _any_of(parts)


class _Compiled:
    """One query mode ("all" or "any") ready for SQL."""

    def __init__(self, match, where, params, terms, boosters):
        self.match = match  # tsquery text, or None: every row the filters allow
        self.where = where
        self.params = params
        self.terms = terms
        self.boosters = boosters  # [(tsquery text, bonus)]


# -- the writer ----------------------------------------------------------------------


def _rows(document: SearchDocument) -> list[tuple]:
    group_ids = list(document.group_ids) if document.restricted else []
    rows = []
    for n, variant in enumerate(document.variants):
        analysed = analyse(variant.title, variant.body)
        rows.append(
            (
                f"{document.key}#{n}",
                document.key,
                document.doc_type,
                document.object_id,
                PUBLIC in variant.audiences,
                STAFF in variant.audiences,
                document.restricted,
                group_ids,
                document.kind or "",
                document.manual or "",
                list(document.tags),
                document.updated,
                variant.title,
                variant.body,
                document.url,
                document.digest,
                analysed.vector,
                analysed.title_vector,
                analysed.stems,
                # Restricted words must not reach anyone's "did you mean".
                [] if document.restricted else analysed.words,
            )
        )
    return rows


def _term_counts(for_public, for_staff, stems, words, sign: int, into: Counter):
    for stem in stems:
        into[("stem", stem)] += sign
    for field, on in ((PUBLIC, for_public), (STAFF, for_staff)):
        if on:
            for word in words:
                into[(field, word)] += sign


class _Batch(IndexBatch):
    """Collects changes and writes them in chunks inside the batch's transaction."""

    def __init__(self, cursor, *, fresh: bool = False):
        self.cursor = cursor
        self.fresh = fresh  # rebuild: the table was just emptied
        self.pending: dict[str, SearchDocument | None] = {}
        self.terms: Counter = Counter()
        self.count = 0

    def index(self, document: SearchDocument) -> None:
        self.pending[document.key] = document
        self.count += 1
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def delete(self, key: str) -> None:
        self.pending[key] = None

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, {}
        if not self.fresh:
            self.cursor.execute(
                "DELETE FROM kb_search_document WHERE key = ANY(%s) "
                "RETURNING for_public, for_staff, stems, words",
                [list(pending)],
            )
            for row in self.cursor.fetchall():
                _term_counts(*row, -1, self.terms)
        rows = [
            row for doc in pending.values() if doc is not None for row in _rows(doc)
        ]
        if rows:
            self.cursor.executemany(INSERT_SQL, rows)
            for row in rows:
                _term_counts(row[4], row[5], row[18], row[19], 1, self.terms)

    def close(self) -> None:
        """Write what is left and the vocabulary changes."""
        self.flush()
        changes = [(f, t, n) for (f, t), n in self.terms.items() if n]
        self.terms.clear()
        if not changes:
            return
        changes.sort()  # one order for every writer
        self.cursor.executemany(TERM_UPSERT_SQL, changes)
        if any(n < 0 for _f, _t, n in changes):
            self.cursor.execute("DELETE FROM kb_search_term WHERE df <= 0")


# -- the backend -----------------------------------------------------------------------


class PostgresSearchBackend(BaseSearchBackend):
    lock_timeout = 10.0

    def __init__(self, params: dict):
        super().__init__(params)
        self.alias = self.options.get("DATABASE", "default")
        self.lock_timeout = float(self.options.get("LOCK_TIMEOUT", self.lock_timeout))
        if connections[self.alias].vendor != "postgresql":
            raise InvalidSearchBackendError(
                "The PostgreSQL search backend needs a PostgreSQL database "
                f"(database {self.alias!r} is {connections[self.alias].vendor})."
            )
        # Writers in one process take turns before they take the database lock,
        # which a session could take twice: a nested batch() waits, as whoosh's.
        self._write_lock = threading.Lock()

    @property
    def connection(self):
        return connections[self.alias]

    # -- writing -------------------------------------------------------------------

    def _take_lock(self, cursor, timeout: float) -> None:
        if timeout <= 0:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_ID])
            if not cursor.fetchone()[0]:
                raise IndexBusy("Another process is writing the search index.")
            return
        cursor.execute("SELECT current_setting('lock_timeout')")
        previous = cursor.fetchone()[0]
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true)",
            [f"{max(1, int(timeout * 1000))}ms"],
        )
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise IndexBusy(
                    f"Another process held the search index for {timeout:g}s."
                ) from exc
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])

    @contextlib.contextmanager
    def _writing(self, timeout: float | None, *, fresh: bool = False):
        timeout = self.lock_timeout if timeout is None else timeout
        if not self._write_lock.acquire(timeout=max(0.0, timeout)):
            raise IndexBusy("Another thread is writing the search index.")
        try:
            with transaction.atomic(using=self.alias), self.connection.cursor() as cur:
                self._take_lock(cur, timeout)
                if fresh:
                    cur.execute("DELETE FROM kb_search_document")
                    cur.execute("DELETE FROM kb_search_term")
                batch = _Batch(cur, fresh=fresh)
                yield batch
                batch.close()
        finally:
            self._write_lock.release()

    def batch(self, *, timeout: float | None = None):
        return self._writing(timeout)

    def rebuild(self, documents, *, progress=None) -> int:
        """Replace every row in one transaction holding the writer lock.

        Searches see the old rows until the commit (MVCC, no table lock); the
        outbox waits or keeps its rows for afterwards.
        """
        with self._writing(None, fresh=True) as batch:
            for document in documents:
                batch.index(document)
                if progress:
                    progress(batch.count)
            batch.close()
            with self.connection.cursor() as cursor:
                cursor.execute("ANALYZE kb_search_document")
            return batch.count

    def clear(self) -> None:
        with self._writing(None, fresh=True):
            pass

    def indexed_digests(self) -> dict[str, str]:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT key, digest FROM kb_search_document")
            return dict(cursor.fetchall())

    def document_count(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT count(DISTINCT key) FROM kb_search_document")
            return cursor.fetchone()[0]

    # -- vocabulary ------------------------------------------------------------------

    @staticmethod
    def _known(cursor, field: str, terms) -> set[str]:
        terms = sorted(set(terms))
        if not terms:
            return set()
        cursor.execute(
            "SELECT term FROM kb_search_term "
            "WHERE field = %s AND term = ANY(%s) AND df > 0",
            [field, terms],
        )
        return {row[0] for row in cursor.fetchall()}

    @staticmethod
    def _near(
        cursor, field: str, word: str, maxdist: int
    ) -> list[tuple[int, int, str]]:
        """(distance, -df, term) of vocabulary terms within maxdist, first letter
        kept (whoosh's prefixlength=1)."""
        cursor.execute(
            "SELECT term, df FROM kb_search_term WHERE field = %s AND df > 0 "
            "AND left(term, 1) = %s AND length(term) BETWEEN %s AND %s",
            [field, word[:1], len(word) - maxdist, len(word) + maxdist],
        )
        found = []
        for term, df in cursor.fetchall():
            if term == word:
                continue
            distance = edit_distance(word, term, maxdist)
            if distance <= maxdist:
                found.append((distance, -df, term))
        return sorted(found)

    # -- building queries ------------------------------------------------------------

    @staticmethod
    def _cjk_clause(chunk: str, terms: _Terms) -> str | None:
        """Docs containing the chunk (all its bigrams); its words add to the score."""
        if len(chunk) == 1:
            return terms.prefix_lex(chunk)
        grams = list(dict.fromkeys(bigrams(chunk)))
        match = _all_of([terms.exact_lex(g) for g in grams])
        for word in query_words(chunk):
            if len(word) > 1:
                terms.exact_lex(word_lexeme(word))  # scored and highlighted only
        return match

    def _en_clause(self, word: str, vocab: dict, terms: _Terms) -> str | None:
        low = word.lower()
        if low in STOP_WORDS:
            return None
        stem = stem_word(low)
        if stem in vocab["known"] or not low.isalpha() or len(low) < 3:
            return terms.exact_lex(stem)
        # Unknown: a fragment still being typed, or a typo.
        fuzzy = [terms.exact_lex(t) for t in vocab["fuzzy"].get(stem, [])]
        return _any_of([terms.prefix_lex(low), *fuzzy])

    def _vocabulary(self, cursor, parsed) -> dict:
        """Which English query stems the index knows, and near terms of the others."""
        stems = {}
        for text in parsed.terms:
            for kind, run, _s in runs(to_simplified(text)):
                low = run.lower()
                if kind == "en" and low not in STOP_WORDS:
                    stems[stem_word(low)] = low
        known = self._known(cursor, "stem", stems)
        fuzzy = {}
        for stem, low in stems.items():
            if stem not in known and low.isalpha() and len(low) >= 3:
                maxdist = 1 if len(low) <= 5 else 2
                fuzzy[stem] = [
                    t for _d, _f, t in self._near(cursor, "stem", stem, maxdist)
                ]
        return {"known": known, "fuzzy": fuzzy}

    def _units(self, text: str, vocab: dict, terms: _Terms) -> list[str]:
        units = []
        for kind, run, _start in runs(to_simplified(text)):
            if kind == "cjk":
                units += [self._cjk_clause(chunk, terms) for chunk in cjk_chunks(run)]
            else:
                units.append(self._en_clause(run, vocab, terms))
        return [u for u in units if u]

    def _phrase_clause(self, phrase: str, terms: _Terms) -> str | None:
        text = to_simplified(phrase)
        parts = list(runs(text))
        cjk_runs = [r for k, r, _s in parts if k == "cjk"]
        if cjk_runs and len(cjk_runs) == len(parts):
            # A Chinese phrase: the exact character sequence, run by run.
            clauses = []
            for run in cjk_runs:
                if len(run) < 3:
                    clauses.append(self._cjk_clause(run, terms))
                else:
                    grams = bigrams(run)
                    for gram in grams:
                        terms.exact_lex(gram)
                    clauses.append(_phrase(grams))
            return _all_of(clauses)
        words = [word_lexeme(w) for w in query_words(text)]
        if not words:
            return None
        if len(words) == 1:
            return terms.exact_lex(words[0])
        for word in words:
            terms.exact_lex(word)
        return _phrase(words)

    @staticmethod
    def _boosters(parsed) -> list[tuple[str, float]]:
        """Exact phrases of the query text, each with the bonus it adds to a row."""
        phrases = []
        text = to_simplified(" ".join(parsed.terms))
        words = [word_lexeme(w) for w in query_words(text)]
        if len(words) > 1:
            phrases.append(words)
        for kind, run, _s in runs(text):
            if kind == "cjk" and len(run) >= 3:
                phrases.append(bigrams(run))
        boosters = []
        for lexemes in phrases:
            boosters.append((_phrase(lexemes, "A"), PHRASE_BOOST * RANK_NORM))
            boosters.append(
                (_phrase(lexemes), PHRASE_BOOST * RANK_WEIGHTS[2] * RANK_NORM)
            )
        return boosters

    @staticmethod
    def _permission(audience: Audience) -> tuple[str, list]:
        if audience.level == PUBLIC:
            return "for_public", []
        if audience.level == STAFF:
            return (
                "for_staff AND (NOT restricted OR group_ids && %s::integer[])",
                [sorted(audience.group_ids)],
            )
        return "for_staff", []  # "all": superusers read everything

    def _compile(self, request: SearchRequest, mode: str, vocab: dict):
        parsed = request.parsed
        terms = _Terms()
        positive = []
        for term in parsed.terms:
            positive += self._units(term, vocab, terms)
        phrases = [self._phrase_clause(p, terms) for p in parsed.phrases]
        clauses = positive + [p for p in phrases if p]
        match = _all_of(clauses) if mode == "all" else _any_of(clauses)
        if match is None and (parsed.has_text or not parsed.has_filters):
            return None
        sql, params = self._permission(request.audience)
        where, where_params = [sql], list(params)
        kinds = list(dict.fromkeys([*parsed.kinds, *request.kinds]))
        if kinds:
            where.append("kind = ANY(%s)")
            where_params.append(kinds)
        if request.manuals:
            where.append("manual = ANY(%s)")
            where_params.append([str(m) for m in dict.fromkeys(request.manuals)])
        for tag in dict.fromkeys(request.tags):
            where.append("%s = ANY(tags)")
            where_params.append(tag)
        if match is not None:
            where.append("vector @@ %s::tsquery")
            where_params.append(match)
        excluded = _any_of([self._phrase_clause(e, _Terms()) for e in parsed.excluded])
        if excluded is not None:
            where.append("NOT (vector @@ %s::tsquery)")
            where_params.append(excluded)
        boosters = self._boosters(parsed) if match is not None else []
        return _Compiled(match, " AND ".join(where), where_params, terms, boosters)

    # -- searching -------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        results = SearchResults(page=request.page, per_page=request.per_page)
        parsed = request.parsed
        with self.connection.cursor() as cursor:
            vocab = self._vocabulary(cursor, parsed)
            compiled = self._compile(request, "all", vocab)
            if compiled is None:
                return results
            depth = max(CANDIDATES, request.page * request.per_page)
            total, facets, candidates = self._match(
                cursor, compiled, request.facets, depth
            )
            if total == 0 and (parsed.terms or parsed.phrases):
                fallback = self._compile(request, "any", vocab)
                if fallback is not None and fallback.match != compiled.match:
                    found = self._match(cursor, fallback, request.facets, depth)
                    if found[0]:
                        compiled, (total, facets, candidates) = fallback, found
                        results.mode = "any"
            results.total, results.facets = total, facets
            if total:
                ranked = self._rank(cursor, compiled, candidates, request)
                start = (request.page - 1) * request.per_page
                page = ranked[start : start + request.per_page]
                results.hits = self._hits(cursor, page, compiled, request.highlight)
            results.suggestion = self._did_you_mean(cursor, request)
        return results

    @staticmethod
    def _match(cursor, compiled: _Compiled, with_facets: bool, depth: int):
        """(total, facets, candidate row ids) in one pass over the matching rows.

        Ranking reads each row's whole tsvector (TOASTed: the dominant cost of a
        broad query at 50k rows), so only the `depth` best rows by a cheap measure
        are ranked: query words in the (inline, small) title vector, then
        freshness. When fewer rows match, every one of them is ranked.
        """
        rank_query = compiled.terms.rank_query()
        if rank_query is None:
            pre_sql, pre_params = "0::float4", []
        else:
            pre_sql, pre_params = "ts_rank(title_vector, %s::tsquery)", [rank_query]
        if with_facets:
            groups = (
                "SELECT 0, kind, count(*) FROM m GROUP BY kind "
                "UNION ALL SELECT 1, manual, count(*) FROM m GROUP BY manual "
                "UNION ALL SELECT 2, tag, count(*) "
                "FROM m CROSS JOIN LATERAL unnest(m.tags) AS tag GROUP BY tag "
            )
        else:
            groups = "SELECT 0, NULL, count(*) FROM m "
        cursor.execute(
            "WITH m AS MATERIALIZED (SELECT id, kind, manual, tags, updated, "  # noqa: S608 - fixed fragments
            + pre_sql
            + " AS t FROM kb_search_document WHERE "
            + compiled.where
            + ") "
            + groups
            + "UNION ALL (SELECT 3, NULL, id FROM m "
            "ORDER BY t DESC, updated DESC NULLS LAST, id LIMIT %s)",
            [*pre_params, *compiled.params, depth],
        )
        total = 0
        facets: dict[str, list] = (
            {"kind": [], "manual": [], "tag": []} if with_facets else {}
        )
        candidates = []
        names = {1: "manual", 2: "tag"}
        for part, value, n in cursor.fetchall():
            if part == 3:
                candidates.append(n)
                continue
            if part == 0:
                total += n
                if with_facets and value not in (None, "", "-"):
                    facets["kind"].append((str(value), n))
            elif value not in (None, "", "-"):
                facets[names[part]].append((str(value), n))
        for values in facets.values():
            values.sort(key=lambda item: (-item[1], item[0]))
        return total, facets, candidates

    @staticmethod
    def _rank(cursor, compiled: _Compiled, candidates, request: SearchRequest):
        """[(row id, score)] of the top candidates: ts_rank, the phrase bonus on
        the top RERANK_DEPTH, fresher first among equal scores."""
        limit = max(request.page * request.per_page, RERANK_DEPTH)
        rank_query = compiled.terms.rank_query()
        if rank_query is None:
            rank_sql, rank_params = "0::float4", []
        else:
            rank_sql = "ts_rank(%s::float4[], vector, %s::tsquery)"
            rank_params = [RANK_WEIGHTS, rank_query]
        bonus_sql, bonus_params = "0", []
        if compiled.boosters:
            bonus_sql = " + ".join(
                "%s * (vector @@ %s::tsquery)::int" for _b in compiled.boosters
            )
            for query, bonus in compiled.boosters:
                bonus_params += [bonus, query]
        cursor.execute(
            "WITH top AS (SELECT id, vector, updated, "  # noqa: S608 - fixed fragments
            + rank_sql
            + " AS r FROM kb_search_document WHERE id = ANY(%s) "
            "ORDER BY r DESC, updated DESC NULLS LAST, id LIMIT %s) "
            "SELECT id, r + " + bonus_sql + ", updated FROM top",
            [*rank_params, candidates, limit, *bonus_params],
        )
        rows = cursor.fetchall()
        rows.sort(
            key=lambda row: (
                -round(float(row[1]), 6),
                -(row[2].timestamp() if row[2] else 0),
                row[0],
            )
        )
        return [(row[0], float(row[1])) for row in rows]

    def _hits(self, cursor, page, compiled: _Compiled, highlight: bool) -> list[Hit]:
        if not page:
            return []
        cursor.execute(
            "SELECT id, doc_type, object_id, title, body, kind, manual, tags, "
            "updated, url FROM kb_search_document WHERE id = ANY(%s)",
            [[row_id for row_id, _score in page]],
        )
        rows = {row[0]: row for row in cursor.fetchall()}
        exact = set(compiled.terms.exact)
        prefixes = list(compiled.terms.prefixes)
        hits = []
        for row_id, score in page:
            _id, doc_type, object_id, title, body, kind, manual, tags, updated, url = (
                rows[row_id]
            )
            if highlight and (exact or prefixes):
                title_spans = highlight_spans(title, exact, prefixes)
                title_html = snippet_html(title, title_spans, width=200, top=1)
                snippet = snippet_html(body, highlight_spans(body, exact, prefixes))
            else:
                title_html = html.escape(title)
                snippet = html.escape(body[:SNIPPET_CHARS])
            hits.append(
                Hit(
                    doc_type=doc_type,
                    object_id=object_id,
                    title=title,
                    title_html=title_html,
                    snippet_html=snippet,
                    kind=kind,
                    manual=manual,
                    tags=list(tags),
                    updated=updated,
                    url=url,
                    score=score,
                )
            )
        return hits

    # -- did you mean, suggestions -----------------------------------------------

    def _did_you_mean(self, cursor, request: SearchRequest) -> str:
        field = STAFF if request.audience.level != PUBLIC else PUBLIC
        candidates = {
            run.lower()
            for term in request.parsed.terms
            for kind, run, _s in runs(term)
            if kind == "en" and run.isalpha() and len(run) >= 3
        }
        known = self._known(cursor, field, candidates)
        changed = False
        corrected = []
        for term in request.parsed.terms:
            out = []
            for kind, run, _s in runs(term):
                low = run.lower()
                if kind != "en" or not run.isalpha() or len(run) < 3 or low in known:
                    out.append(run)
                    continue
                options = self._near(cursor, field, low, 2)
                if options:
                    out.append(options[0][2])
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
        clauses = []
        parts = list(runs(text))
        for n, (kind, run, _s) in enumerate(parts):
            if kind == "cjk":
                if len(run) == 1:
                    clauses.append(_lex(run, prefix=True))
                else:
                    clauses.append(_all_of([_lex(g) for g in bigrams(run)]))
            else:
                low = run.lower()
                stem = _lex(stem_word(low))
                last = n == len(parts) - 1
                clauses.append(
                    _any_of([_lex(low, prefix=True), stem]) if last else stem
                )
        query = _all_of(clauses)
        if query is None:
            return []
        permission, params = self._permission(audience)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT title, url, doc_type, object_id "  # noqa: S608 - fixed fragments
                "FROM kb_search_document WHERE "
                + permission
                + " AND title_vector @@ %s::tsquery "
                "ORDER BY ts_rank(title_vector, %s::tsquery) DESC, "
                "length(title), updated DESC NULLS LAST, id LIMIT %s",
                [*params, query, query, limit],
            )
            rows = cursor.fetchall()
        return [
            Suggestion(title=t, url=u, doc_type=d, object_id=o) for t, u, d, o in rows
        ]
