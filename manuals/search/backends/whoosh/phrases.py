"""Exact phrases verified on stored text, so the index needs no positions.

A phrase ("...", an exclusion, the phrase bonus of ranking) is first matched by its
bigrams and stems in the index; only the few candidates left are checked here, on the
folded stored title and body. No whoosh involved beyond the stored fields.
"""

from ...analysis import STOP_WORDS, runs, stem_word, to_simplified


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


class StoredDoc:
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


class Phrase:
    """An exact phrase checked on stored text: (title_hit, body_hit) per document."""

    def __init__(self, text: str):
        text = to_simplified(text)
        parts = list(runs(text))
        self.cjk_only = all(kind == "cjk" for kind, _r, _s in parts)
        self.runs = [run for _k, run, _s in parts]
        self.tokens = _phrase_tokens(text)

    def where(self, doc: StoredDoc) -> tuple[bool, bool]:
        if self.cjk_only:
            title, body = doc.folded()
            return (
                all(r in title for r in self.runs),
                all(r in body for r in self.runs),
            )
        title, body = doc.tokens()
        return _tokens_match(title, self.tokens), _tokens_match(body, self.tokens)

    def found(self, doc: StoredDoc) -> bool:
        if self.cjk_only:
            # Each run in the title or the body (runs are separate clauses).
            title, body = doc.folded()
            return all(r in title or r in body for r in self.runs)
        return any(self.where(doc))
