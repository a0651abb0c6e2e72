"""Block directives in markdown: parsing, save-time validation and the where-used table.

Validation runs before any text that embeds blocks is saved (sections, blocks, FAQ
answers), so a directive that points nowhere, a cycle or nesting deeper than five is
refused with a message naming the directive and its line.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from .audience import ANONYMOUS
from .models import Block, BlockUsage
from .rendering import DIRECTIVE, MAX_BLOCK_DEPTH, MAX_EMBEDDED_BLOCKS

# Problems listed for one text; a text with more gets a count of the rest.
MAX_REPORTED = 20


@dataclass(frozen=True)
class Directive:
    key: str
    number: int | None
    line: int
    text: str


def parse(text: str) -> list[Directive]:
    found = []
    for lineno, line in enumerate((text or "").splitlines(), start=1):
        for m in DIRECTIVE.finditer(line):
            number = int(m.group(2)) if m.group(2) else None
            found.append(Directive(m.group(1), number, lineno, m.group(0)))
    return found


def _bodies_of(block: Block, number: int | None) -> list[str]:
    """The texts a directive can reach: the pinned revision, or both the published
    revision and the draft (so a cycle cannot hide in an unpublished revision)."""
    if number is not None:
        rev = block.revisions.filter(number=number).first()
        return [rev.body] if rev else []
    return [r.body for r in {block.published_revision, block.head_revision} if r]


def depth_above(block: Block, _seen: frozenset = frozenset()) -> int:
    """How deep `block` sits: 1 when embedded by sections only (or nothing), plus the
    longest chain of blocks embedding it."""
    block_type = ContentType.objects.get_for_model(Block)
    users = (
        BlockUsage.objects.filter(block=block, content_type=block_type)
        .exclude(object_id__in=_seen | {block.pk})
        .values_list("object_id", flat=True)
    )
    parents = Block.objects.filter(pk__in=list(users))
    if not parents or len(_seen) > MAX_BLOCK_DEPTH:
        return 1
    return 1 + max(depth_above(p, _seen | {block.pk}) for p in parents)


def check(
    text: str, *, block: Block | None = None, self_key: str | None = None
) -> list[str]:
    """Problems with the directives in `text`, in plain words; empty when fine.

    `block` (or just `self_key` for a block not saved yet) is the block whose text
    this is: a block embedding itself, directly or through others, or nesting that
    would end deeper than five counting the blocks that embed it, is refused.
    """
    self_key = block.key if block is not None else self_key
    directives = parse(text)
    if len(directives) > MAX_EMBEDDED_BLOCKS:
        # Checked before anything is looked up: each directive costs queries.
        return [
            _("This text has %(count)s block directives; at most %(max)s are allowed.")
            % {"count": len(directives), "max": MAX_EMBEDDED_BLOCKS}
        ]
    own_depth = 0
    if self_key is not None:
        own_depth = depth_above(block) if block is not None and block.pk else 1
    errors: list[str] = []
    blocks = {
        b.key: b
        for b in Block.objects.filter(
            key__in={d.key for d in directives}
        ).select_related("published_revision", "head_revision")
    }
    # The same directive repeated is looked at once.
    verdicts: dict[tuple[str, int | None], tuple[str, str]] = {}
    for d in directives:
        where = {"line": d.line, "directive": d.text}
        if (d.key, d.number) not in verdicts:
            verdicts[(d.key, d.number)] = _problem(
                d, blocks.get(d.key), self_key=self_key, own_depth=own_depth
            )
        kind, problem = verdicts[(d.key, d.number)]
        if kind == "missing":
            errors.append(_("Line %(line)s: %(directive)s points to no block.") % where)
        elif kind == "revision":
            errors.append(
                _("Line %(line)s: %(directive)s: the block has no such revision.")
                % where
            )
        elif kind == "self":
            errors.append(
                _("Line %(line)s: %(directive)s: a block cannot embed itself.") % where
            )
        elif kind == "nesting":
            errors.append(
                _("Line %(line)s: %(directive)s: %(problem)s")
                % {**where, "problem": problem}
            )
    if len(errors) > MAX_REPORTED:
        more = len(errors) - MAX_REPORTED
        errors = errors[:MAX_REPORTED] + [
            _("… and %(count)s more problems like these.") % {"count": more}
        ]
    return errors


def _problem(
    d: Directive, found: Block | None, *, self_key: str | None, own_depth: int
) -> tuple[str, str]:
    """What is wrong with one directive: ("missing" | "revision" | "self" |
    "nesting" | "", the nesting problem in words)."""
    if found is None:
        return "missing", ""
    if d.number is not None and not found.revisions.filter(number=d.number).exists():
        return "revision", ""
    if d.key == self_key:
        return "self", ""
    seen = {d.key} | ({self_key} if self_key else set())
    problem = _walk(found, d.number, seen, own_depth + 1)
    return ("nesting", problem) if problem else ("", "")


def _walk(block: Block, number: int | None, seen: set[str], depth: int) -> str:
    """Follow nested directives from `block` (at `depth`); a message for a cycle or
    for nesting deeper than allowed, or ''."""
    if depth > MAX_BLOCK_DEPTH:
        return _("blocks would be nested more than %(max)s deep.") % {
            "max": MAX_BLOCK_DEPTH
        }
    for body in _bodies_of(block, number):
        for d in parse(body):
            if d.key in seen:
                return _("embedding it would make a cycle through “%(key)s”.") % {
                    "key": d.key
                }
            inner = (
                Block.objects.filter(key=d.key)
                .select_related("published_revision", "head_revision")
                .first()
            )
            if inner is None:
                continue
            problem = _walk(inner, d.number, seen | {d.key}, depth + 1)
            if problem:
                return problem
    return ""


def non_public_blocks(text: str) -> list[str]:
    """Keys of blocks the public may not see, embedded at any depth (to warn an
    editor); the public sees nothing of a hidden block, nested blocks included."""
    hidden: set[str] = set()
    pending, seen = [text], set()
    for _level in range(MAX_BLOCK_DEPTH + 1):
        keys = {d.key for t in pending for d in parse(t)} - seen
        if not keys:
            break
        seen |= keys
        pending = []
        for found in Block.objects.filter(key__in=keys).select_related(
            "published_revision"
        ):
            if not ANONYMOUS.sees(found.visibility):
                hidden.add(found.key)
            elif found.published_revision:
                pending.append(found.published_revision.body)
    return sorted(hidden)


def refresh_usage(obj, texts) -> None:
    """Record which blocks `obj` (a section, block or FAQ entry) embeds in `texts`."""
    content_type = ContentType.objects.get_for_model(obj)
    BlockUsage.objects.filter(content_type=content_type, object_id=obj.pk).delete()
    wanted = {(d.key, d.number) for text in texts if text for d in parse(text)}
    ids = dict(
        Block.objects.filter(key__in={k for k, _n in wanted}).values_list("key", "pk")
    )
    BlockUsage.objects.bulk_create(
        BlockUsage(
            block_id=ids[key],
            content_type=content_type,
            object_id=obj.pk,
            pinned=number,
        )
        for key, number in sorted(wanted, key=lambda kn: (kn[0], kn[1] or 0))
        if key in ids
    )


def users(block: Block) -> dict[type, set[int]]:
    """Everything that embeds `block` at all (following or pinned, directly or
    through other blocks), by model class."""
    return followers(block, pinned_too=True)


def followers(block: Block, *, pinned_too: bool = False) -> dict[type, set[int]]:
    """Everything whose rendering follows `block` (directly, or through blocks that
    follow it), by model class: {Section: {ids}, Entry: {ids}, Block: {ids}}."""
    found: dict[type, set[int]] = {}
    frontier, seen_blocks = {block.pk}, {block.pk}
    block_type = ContentType.objects.get_for_model(Block)
    while frontier:
        usages = BlockUsage.objects.filter(block_id__in=frontier)
        if not pinned_too:
            usages = usages.filter(pinned__isnull=True)
        usages = usages.select_related("content_type")
        frontier = set()
        for usage in usages:
            model = usage.content_type.model_class()
            found.setdefault(model, set()).add(usage.object_id)
            if (
                usage.content_type_id == block_type.pk
                and usage.object_id not in seen_blocks
            ):
                seen_blocks.add(usage.object_id)
                frontier.add(usage.object_id)
    return found
