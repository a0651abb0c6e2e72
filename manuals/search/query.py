"""The query language: plain words, "exact phrase", -exclude, kind:, tag:, in:.

`parse_query` never raises: unbalanced quotes, lone operators, punctuation and very
long input all fall back to plain words, so a search box can take anything an agent
types or pastes.
"""

import re
from dataclasses import dataclass, field

from .analysis import CJK, normalize_query, to_simplified

MAX_QUERY_CHARS = 200
MAX_PARTS = 24
FILTER_KEYS = ("kind", "tag", "in")

_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "＂": '"', "「": '"', "」": '"', "：": ":"}
)
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"|(\S+)')
_MEANINGFUL_RE = re.compile(rf"[0-9A-Za-z{CJK}]")
_STRIP_RE = re.compile(rf"[^0-9A-Za-z{CJK}'’]+")


@dataclass
class ParsedQuery:
    """A query taken apart. `terms` and `phrases` must match; `excluded` must not."""

    raw: str = ""
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    manuals: list[str] = field(default_factory=list)

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases)

    @property
    def has_filters(self) -> bool:
        return bool(self.kinds or self.tags or self.manuals)

    @property
    def is_empty(self) -> bool:
        return not (self.has_text or self.has_filters)

    @property
    def normalized(self) -> str:
        """One spelling per meaning, for analytics: folded, lowercased, ordered."""
        parts = [normalize_query(t) for t in self.terms]
        parts += [f'"{normalize_query(p)}"' for p in self.phrases]
        parts += ["-" + normalize_query(e) for e in self.excluded]
        parts += sorted(f"kind:{k}" for k in self.kinds)
        parts += sorted(f"tag:{normalize_query(t)}" for t in self.tags)
        parts += sorted(f"in:{normalize_query(m)}" for m in self.manuals)
        return " ".join(p for p in parts if p)

    def text_for_display(self) -> str:
        return " ".join([*self.terms, *(f'"{p}"' for p in self.phrases)])


def _clean_word(word: str) -> str:
    """A word with surrounding punctuation removed ('' when nothing meaningful)."""
    word = _STRIP_RE.sub(" ", word).strip()
    return word if _MEANINGFUL_RE.search(word) else ""


def parse_query(raw: str | None, *, kinds: frozenset[str] = frozenset()) -> ParsedQuery:
    """Parse what the user typed. `kinds` are the valid values of `kind:`."""
    raw = (raw or "")[: MAX_QUERY_CHARS * 2]
    text = raw.translate(_QUOTES)[:MAX_QUERY_CHARS]
    if text.count('"') % 2:
        # Unbalanced quote: the last one is a typo, not the start of a phrase.
        i = text.rfind('"')
        text = text[:i] + " " + text[i + 1 :]
    parsed = ParsedQuery(raw=raw)
    for m in _TOKEN_RE.finditer(text):
        if sum(map(len, (parsed.terms, parsed.phrases, parsed.excluded))) >= MAX_PARTS:
            break
        negate, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            phrase = " ".join(phrase.split())
            if not _MEANINGFUL_RE.search(phrase):
                continue
            (parsed.excluded if negate else parsed.phrases).append(phrase)
            continue
        if word.startswith("-") and len(word) > 1:
            cleaned = _clean_word(word[1:])
            if cleaned:
                parsed.excluded.append(cleaned)
            continue
        key, sep, value = word.partition(":")
        key = key.lower()
        if sep and key in FILTER_KEYS and value.strip():
            value = value.strip()
            if key == "kind":
                if value.lower() in kinds:
                    parsed.kinds.append(value.lower())
                    continue
            elif key == "tag":
                parsed.tags.append(value)
                continue
            else:
                parsed.manuals.append(value)
                continue
        cleaned = _clean_word(word)
        if cleaned:
            parsed.terms.extend(cleaned.split())
    return parsed


def same_text(a: str, b: str) -> bool:
    """Do two names match, ignoring script and case (for tag: and in: values)?"""
    return to_simplified(a).lower().strip() == to_simplified(b).lower().strip()
