"""Compiling a ParsedQuery into a match tree and the terms that score.

Matching is a small boolean tree evaluated on bitmaps (query.py); ranking is the sum
of BM25F contributions of the scoring terms ("leaves") a document contains. Nodes:

    ("term", field, text)  ("all", [nodes])  ("any", [nodes])  ("not", node, node)
    ("phrase", candidates, Phrase)  ("every",)  ("none",)

Chinese matches by character bigrams (any fragment of 2+ characters, one character by
prefix), English by Porter stems, with prefix and typo expansion for unknown words;
titles weigh TITLE_BOOST times bodies.

whoosh internals relied on: none. Only the public reader API: `doc_frequency()`,
`expand_prefix()` and `terms_within()` (the Levenshtein automaton over the lexicon).
"""

from ...analysis import (
    STOP_WORDS,
    bigrams,
    cjk_chunks,
    is_cjk,
    query_words,
    runs,
    stem_word,
    to_simplified,
)
from ...registry import OPEN, PUBLIC, STAFF
from ..base import SearchRequest
from .phrases import Phrase

TITLE_BOOST = 4.0
MAX_EXPANSIONS = 200  # terms a prefix or fuzzy word may expand to

NONE = ("none",)
EVERY = ("every",)


def all_of(nodes):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ("all", nodes)


def any_of(nodes):
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else ("any", nodes)


class Plan:
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
            return any_of(
                [("term", "title" + suffix, text), ("term", "body" + suffix, text)]
            )
        return any_of(
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
            return any_of(nodes) or NONE
        grams = list(dict.fromkeys(bigrams(run)))
        if mark:
            self.grams.update(grams)
        return all_of([self._either("_ng", g, score=score) for g in grams])

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
        return any_of(nodes) or NONE

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
                nodes.append(("phrase", match, Phrase(run)) if len(run) >= 3 else match)
            return all_of(nodes)
        words = query_words(folded)
        if not words:
            return None
        candidates = all_of(self.units(folded, score, mark, exact=True))
        if candidates is None:
            return None
        if len(words) == 1:
            return candidates
        return ("phrase", candidates, Phrase(folded))


def compile_query(reader, request: SearchRequest, mode: str):
    """(plan, match tree) for `mode` "all" or "any", or (plan, None)."""
    parsed = request.parsed
    plan = Plan(reader)
    positive = []
    for term in parsed.terms:
        positive += plan.units(term)
    phrases = [plan.phrase(p) for p in parsed.phrases]
    positive += [p for p in phrases if p is not None]
    main = all_of(positive) if mode == "all" else any_of(positive)
    if main is None:
        if parsed.has_text or not parsed.has_filters:
            return plan, None
        main = EVERY
    excluded = any_of(
        [plan.phrase(e, score=False, mark=False) for e in parsed.excluded]
    )
    if excluded is not None:
        main = ("not", main, excluded)
    return plan, main


def filters_for(request: SearchRequest) -> list:
    """Permission first, then kind (any of), manual (any of) and tags (each)."""
    audience = request.audience
    if audience.level == PUBLIC:
        filters = [("term", "audiences", PUBLIC)]
    elif audience.level == STAFF:
        allowed = [("term", "restricted_to", OPEN)]
        allowed += [
            ("term", "restricted_to", f"g{g}") for g in sorted(audience.group_ids)
        ]
        filters = [("term", "audiences", STAFF), any_of(allowed)]
    else:
        filters = [("term", "audiences", STAFF)]  # "all": superusers read everything
    kinds = list(dict.fromkeys([*request.parsed.kinds, *request.kinds]))
    if kinds:
        filters.append(any_of([("term", "kind", k) for k in kinds]))
    if request.manuals:
        manuals = dict.fromkeys(request.manuals)
        filters.append(any_of([("term", "manual", str(m)) for m in manuals]))
    for tag in dict.fromkeys(request.tags):
        filters.append(("term", "tags", tag))
    return filters


def boosters(request: SearchRequest) -> list[Phrase]:
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
    return [Phrase(t) for t in dict.fromkeys(texts)]
