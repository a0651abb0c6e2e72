"""The search analysis (analysis.py) as PostgreSQL tsvector and tsquery text.

The PostgreSQL backend never lets PostgreSQL's own parser see our text: tokens are made
here with the same functions as the whoosh backend (Traditional folded to Simplified,
rjieba words in search mode, character bigrams, English lowercase Porter stems) and
written as tsvector / tsquery *literals*, which PostgreSQL stores as they are.

Two token streams share one tsvector, kept apart by their spelling so that phrase
operators (`<->`) only ever compare positions within one stream:

* bigrams: overlapping character bigrams of every Chinese run plus the run's last
  character (whoosh's `title_ng` / `body_ng`), spelled as they are;
* words: rjieba words with WORD_MARK in front (`~客户服务`), English stems bare
  (`refund`), whoosh's `title` / `body`.

Title tokens carry weight A, body tokens weight B; body positions start after the
title's, so no phrase matches across the two.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .analysis import STOP_WORDS, is_cjk, runs, segment, stem_word, to_simplified
from .analysis import bigrams as _bigrams

WORD_MARK = "~"
MAX_POSITION = 16383  # PostgreSQL clamps larger positions to this
MAX_LEXEME_CHARS = 200  # longer "words" (pasted hashes, base64) are not indexed
MAX_POSITIONS_PER_LEXEME = 256  # PostgreSQL keeps at most this many


def word_lexeme(word: str) -> str:
    """The lexeme of a word-stream term: Chinese words marked, English stems bare."""
    return WORD_MARK + word if is_cjk(word) else word


def word_tokens(text: str) -> Iterator[tuple[str, int, int, int]]:
    """(lexeme, position, start, end) of the word stream of already folded `text`.

    Mirrors the whoosh WordAnalyzer: search-mode words share their word's position,
    stop words are dropped but take a position, so phrases behave the same.
    """
    pos = 0
    for kind, run, start in runs(text):
        if kind == "cjk":
            last = -1
            for word, rel, s, e in segment(run):
                yield WORD_MARK + word, pos + rel, start + s, start + e
                last = max(last, rel)
            pos += last + 1
        else:
            low = run.lower()
            if low not in STOP_WORDS:
                yield stem_word(low), pos, start, start + len(run)
            pos += 1


def bigram_tokens(text: str) -> Iterator[tuple[str, int, int, int]]:
    """(bigram, position, start, end) of the Chinese runs of already folded `text`,
    each run followed by its last character alone (as the whoosh BigramAnalyzer)."""
    pos = 0
    for kind, run, start in runs(text):
        if kind != "cjk":
            continue
        n = len(run)
        for i in range(n - 1):
            yield run[i : i + 2], pos, start + i, start + i + 2
            pos += 1
        yield run[-1], pos, start + n - 1, start + n
        pos += 1


def tokens(text: str) -> Iterator[tuple[str, int, int, int]]:
    """Both streams of `text` (folded here); offsets point into `text` itself."""
    folded = to_simplified(text)
    yield from word_tokens(folded)
    yield from bigram_tokens(folded)


def quote(lexeme: str) -> str:
    """A lexeme as a quoted tsvector/tsquery literal element."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass
class Analysed:
    """What the index stores for one document variant, computed once."""

    vector: str  # tsvector literal: title (A) and body (B), with positions
    title_vector: str  # tsvector literal: title lexemes only, no positions
    stems: list[str]  # distinct English stems (fuzzy matching vocabulary)
    words: list[str]  # distinct lowercase English words of 3+ letters ("did you mean")


def _add(positions: dict[str, list[str]], stream, weight: str, offset: int) -> int:
    """Add a stream's tokens as lexeme -> ['3A', ...]; returns the top position."""
    top = 0
    for lexeme, pos, _s, _e in stream:
        if len(lexeme) > MAX_LEXEME_CHARS:
            continue
        at = pos + offset + 1
        top = max(top, at)
        entry = positions.setdefault(lexeme, [])
        if at <= MAX_POSITION and len(entry) < MAX_POSITIONS_PER_LEXEME:
            entry.append(f"{at}{weight}")
    return top


def _literal(positions: dict[str, list[str]]) -> str:
    parts = []
    for lexeme, at in positions.items():
        parts.append(quote(lexeme) + (":" + ",".join(at) if at else ""))
    return " ".join(parts)


def analyse(title: str, body: str) -> Analysed:
    title_f, body_f = to_simplified(title), to_simplified(body)
    positions: dict[str, list[str]] = {}
    top = max(
        _add(positions, word_tokens(title_f), "A", 0),
        _add(positions, bigram_tokens(title_f), "A", 0),
    )
    title_lexemes = list(positions)
    offset = top + 1  # a gap: no phrase runs from the title into the body
    _add(positions, word_tokens(body_f), "B", offset)
    _add(positions, bigram_tokens(body_f), "B", offset)
    stems = sorted(
        lexeme
        for lexeme in positions
        if lexeme.isascii() and lexeme.isalpha() and len(lexeme) > 1
    )
    words = sorted(
        {
            run.lower()
            for text in (title_f, body_f)
            for kind, run, _s in runs(text)
            if kind == "en" and len(run) >= 3 and run.isalpha() and run.isascii()
        }
    )
    return Analysed(
        vector=_literal(positions),
        title_vector=" ".join(quote(lex) for lex in title_lexemes),
        stems=stems,
        words=[w for w in words if len(w) <= MAX_LEXEME_CHARS],
    )


def english_tokens(text: str) -> Iterator[tuple[str, int, int, int]]:
    """The English part of the word stream of folded `text` (no segmentation)."""
    for kind, run, start in runs(text):
        if kind == "en":
            yield stem_word(run.lower()), 0, start, start + len(run)


def highlight_spans(
    text: str, exact: set[str], prefixes: Iterable[str]
) -> list[tuple[int, int]]:
    """(start, end) in `text` of every token a query's lexemes match.

    Chinese words are segmented only when a matched word is not already covered
    by matched bigrams (segmentation costs 3x the rest).
    """
    prefixes = tuple(prefixes)
    folded = to_simplified(text)
    words_needed = any(
        lexeme.startswith(WORD_MARK)
        and not all(g in exact for g in _bigrams(lexeme[len(WORD_MARK) :]))
        for lexeme in exact
    )
    streams = (
        word_tokens(folded) if words_needed else english_tokens(folded),
        bigram_tokens(folded),
    )
    spans = []
    for stream in streams:
        for lexeme, _pos, start, end in stream:
            if lexeme in exact or (prefixes and lexeme.startswith(prefixes)):
                spans.append((start, end))
    return spans


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition costs 1), capped at
    limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)
