"""Does an edit change what a section means? The guess behind the "material change"
choice, used when the editor leaves it to the site.

Material: a number, amount, duration or date changed; a numbered or bulleted step was
added, removed or reworded; a block directive was added, removed or repinned; prose
changed by more than a few characters. Not material: whitespace, line breaks,
punctuation, case, and typo-sized fixes. Linear in the body's length: it runs on
every save, whatever an editor pastes.
"""

import re

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_DIRECTIVE = re.compile(r"\{\{\s*block:[^}]*\}\}")
_STEP = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+(.*)$")
# Whatever a typo fix may touch without changing the meaning.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# An edit of up to this many characters (after dropping the noise) is typo-sized.
TYPO_CHARS = 3


def _plain(text: str) -> str:
    return _NOISE.sub("", text).casefold()


def _steps(text: str) -> list[str]:
    return [
        _plain(match.group(1))
        for line in text.splitlines()
        if (match := _STEP.match(line))
    ]


def _typo_sized(a: str, b: str, limit: int = TYPO_CHARS) -> bool:
    """Is the edit distance of `a` and `b` at most `limit`? The common ends are
    dropped first, then a DP restricted to a band of 2 * limit + 1 diagonals: linear
    in the length, however long the texts."""
    start, shortest = 0, min(len(a), len(b))
    while start < shortest and a[start] == b[start]:
        start += 1
    tail = 0
    while tail < shortest - start and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    a, b = a[start : len(a) - tail], b[start : len(b) - tail]
    if abs(len(a) - len(b)) > limit:
        return False
    if not a or not b:
        return max(len(a), len(b)) <= limit
    big = limit + 1
    previous = {j: j for j in range(0, min(len(b), limit) + 1)}
    for i in range(1, len(a) + 1):
        current = {}
        low, high = max(0, i - limit), min(len(b), i + limit)
        for j in range(low, high + 1):
            if j == 0:
                current[j] = i
                continue
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(
                previous.get(j - 1, big) + cost,
                previous.get(j, big) + 1,
                current.get(j - 1, big) + 1,
            )
        if min(current.values()) > limit:
            return False
        previous = current
    return previous.get(len(b), big) <= limit


def looks_material(old: str, new: str) -> bool:
    """Would a reader who confirmed `old` need to read `new` again?"""
    old, new = old or "", new or ""
    if old == new:
        return False
    if _NUMBER.findall(old) != _NUMBER.findall(new):
        return True
    if _DIRECTIVE.findall(old) != _DIRECTIVE.findall(new):
        return True
    old_steps, new_steps = _steps(old), _steps(new)
    if len(old_steps) != len(new_steps):
        return True
    for before, after in zip(old_steps, new_steps, strict=True):
        if before != after and not _typo_sized(before, after):
            return True
    return not _typo_sized(_plain(old), _plain(new))
