"""Does an edit change what a section means? The guess behind the "material change"
choice, used when the editor leaves it to the site.

Material: a number, amount, duration or date changed; a numbered or bulleted step was
added, removed or reworded; a block directive was added, removed or repinned.
Not material: whitespace, punctuation, case, and small word-level fixes in prose.
"""

import re
from difflib import SequenceMatcher

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_DIRECTIVE = re.compile(r"\{\{\s*block:[^}]*\}\}")
_STEP = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+(.*)$")
# Whatever a typo fix may touch without changing the meaning.
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
# A prose diff up to this many changed characters (after dropping the noise) is
# typo-sized.
TYPO_CHARS = 3


def _steps(text: str) -> list[str]:
    steps = []
    for line in text.splitlines():
        match = _STEP.match(line)
        if match:
            steps.append(_NOISE.sub("", match.group(1)).casefold())
    return steps


def _changed_chars(old: str, new: str) -> int:
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


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
        if before != after and _changed_chars(before, after) > TYPO_CHARS:
            return True
    return _prose_changed(old, new) > TYPO_CHARS


def _prose_changed(old: str, new: str) -> int:
    # Lines first, characters only inside the lines that differ: bounded cost for
    # long bodies with small edits.
    old_lines = [
        p for p in (_NOISE.sub("", x).casefold() for x in old.splitlines()) if p
    ]
    new_lines = [
        p for p in (_NOISE.sub("", x).casefold() for x in new.splitlines()) if p
    ]
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    changed = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = "".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])
        if abs(len(before) - len(after)) > TYPO_CHARS:
            return TYPO_CHARS + 1
        changed += _changed_chars(before, after)
        if changed > TYPO_CHARS:
            break
    return changed
