"""Side-by-side line diff of two revisions, with changed words marked inside lines."""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass
class DiffRow:
    kind: str  # "equal", "replace", "delete", "insert"
    left_no: int | None
    left: SafeString
    right_no: int | None
    right: SafeString


# Latin words and numbers change as wholes; every other character (Chinese included)
# is a token of its own, so a changed word is marked whole and a changed 字 alone.
_TOKEN = re.compile(r"[A-Za-z0-9_]+|.", re.DOTALL)


def _inline(a: str, b: str) -> tuple[SafeString, SafeString]:
    """Mark the words (or Chinese characters) that differ between two lines."""
    a, b = _TOKEN.findall(a), _TOKEN.findall(b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left, right = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(escape("".join(a[i1:i2])))
            right.append(escape("".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            right.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - escaped


def side_by_side(old: str, new: str, context: int | None = None) -> list[DiffRow]:
    """Rows for a two-column diff of `old` and `new` text."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                text = escape(a[i1 + k])
                rows.append(DiffRow("equal", i1 + k + 1, text, j1 + k + 1, text))
        elif op == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                la = a[i1 + k] if i1 + k < i2 else None
                lb = b[j1 + k] if j1 + k < j2 else None
                if la is not None and lb is not None:
                    left, right = _inline(la, lb)
                    rows.append(DiffRow("replace", i1 + k + 1, left, j1 + k + 1, right))
                elif la is not None:
                    rows.append(DiffRow("delete", i1 + k + 1, escape(la), None, ""))
                else:
                    rows.append(DiffRow("insert", None, "", j1 + k + 1, escape(lb)))
        elif op == "delete":
            for k in range(i1, i2):
                rows.append(DiffRow("delete", k + 1, escape(a[k]), None, ""))
        else:
            for k in range(j1, j2):
                rows.append(DiffRow("insert", None, "", k + 1, escape(b[k])))
    return rows
