""" "Did you mean" for misspelt English words, and titles offered as you type.

whoosh internals relied on: none. Public API only: `Searcher.suggest()` (whoosh's
spelling corrector over the per-audience `vocab_*` lexicon, which holds no words of
restricted documents), `Searcher.search()` with `whoosh.query` And/Or/Term/Prefix for
the title suggestions (a handful of hits, so whoosh's own matchers are fast enough).
"""

from whoosh.query import And, Or, Prefix, Term

from ...analysis import bigrams, is_cjk, runs, stem_word
from ...registry import OPEN, PUBLIC, STAFF
from ..base import Audience, SearchRequest, Suggestion


def did_you_mean(searcher, request: SearchRequest, *, zero: bool) -> str:
    """The whole query with unknown English words corrected, or ""."""
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


def permission_query(audience: Audience):
    """The whoosh query of what `audience` may read (see plan.filters_for)."""
    if audience.level == PUBLIC:
        return Term("audiences", PUBLIC)
    if audience.level == STAFF:
        allowed = [Term("restricted_to", OPEN)]
        allowed += [Term("restricted_to", f"g{g}") for g in sorted(audience.group_ids)]
        return And([Term("audiences", STAFF), Or(allowed)])
    return Term("audiences", STAFF)  # "all": superusers read everything


def suggest_titles(searcher, *, text: str, audience: Audience, limit: int) -> list:
    """Titles matching `text`, folded what is typed so far (the last word by prefix)."""
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
    query = And([*clauses, permission_query(audience)])
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
