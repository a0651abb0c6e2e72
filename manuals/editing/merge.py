"""The one three-way merge: a save made from an older text is merged with what
others saved meanwhile, line by line (merge3). Sections, blocks and FAQ answers all
save through it, so they merge alike and mark overlapping changes alike."""

import merge3
from django.utils.translation import gettext as _


def merge_text(base: str, head: str, mine: str) -> tuple[str, bool]:
    """Three-way line merge of `mine` (written from `base`) with `head`; returns
    (text, has_conflicts). Overlapping changes come back between markers naming
    "their version" and "your version"."""
    # A missing final newline would make the last line differ on every side.
    base, head, mine = (
        t if t.endswith("\n") or not t else t + "\n" for t in (base, head, mine)
    )
    if head == base or head == mine:
        return mine, False
    if mine == base:
        return head, False
    m = merge3.Merge3(
        base.splitlines(True), head.splitlines(True), mine.splitlines(True)
    )
    lines = list(m.merge_lines(name_a=_("their version"), name_b=_("your version")))
    conflict = any(kind == "conflict" for kind, *_rest in m.merge_regions())
    return "".join(lines), conflict
