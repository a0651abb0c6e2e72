"""Block directives in markdown: parsing, save-time validation and the where-used table.

Validation runs before any text that embeds blocks is saved (sections, blocks, FAQ
answers), so a directive that points nowhere, a cycle or nesting deeper than five is
refused with a message naming the directive and its line.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from .models import Block, BlockUsage, Visibility
from .rendering import DIRECTIVE, MAX_BLOCK_DEPTH


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


def _body_of(block: Block, number: int | None) -> str:
    if number is not None:
        rev = block.revisions.filter(number=number).first()
    else:
        rev = block.published_revision or block.head_revision
    return rev.body if rev else ""


def check(text: str, *, self_key: str | None = None) -> list[str]:
    """Problems with the directives in `text`, in plain words; empty when fine.

    `self_key` is the key of the block being saved, so that a block embedding itself,
    directly or through others, is caught.
    """
    errors: list[str] = []
    directives = parse(text)
    blocks = {
        b.key: b
        for b in Block.objects.filter(
            key__in={d.key for d in directives}
        ).select_related("published_revision", "head_revision")
    }
    for d in directives:
        where = {"line": d.line, "directive": d.text}
        block = blocks.get(d.key)
        if block is None:
            errors.append(_("Line %(line)s: %(directive)s points to no block.") % where)
            continue
        if (
            d.number is not None
            and not block.revisions.filter(number=d.number).exists()
        ):
            errors.append(
                _("Line %(line)s: %(directive)s: the block has no such revision.")
                % where
            )
            continue
        if d.key == self_key:
            errors.append(
                _("Line %(line)s: %(directive)s: a block cannot embed itself.") % where
            )
            continue
        problem = _walk(block, d.number, {self_key} - {None} | {d.key}, 2)
        if problem:
            errors.append(
                _("Line %(line)s: %(directive)s: %(problem)s")
                % {**where, "problem": problem}
            )
    return errors


def _walk(block: Block, number: int | None, seen: set[str], depth: int) -> str:
    """Follow nested directives; a message for a cycle or excessive depth, or ''."""
    if depth > MAX_BLOCK_DEPTH:
        return _("blocks are nested more than %(max)s deep.") % {"max": MAX_BLOCK_DEPTH}
    for d in parse(_body_of(block, number)):
        if d.key in seen:
            return _("embedding it would make a cycle through “%(key)s”.") % {
                "key": d.key
            }
        inner = Block.objects.filter(key=d.key).first()
        if inner is None:
            continue
        problem = _walk(inner, d.number, seen | {d.key}, depth + 1)
        if problem:
            return problem
    return ""


def non_public_blocks(text: str) -> list[str]:
    """Keys of embedded blocks the public may not see (to warn an editor)."""
    keys = {d.key for d in parse(text)}
    return sorted(
        Block.objects.filter(key__in=keys)
        .exclude(visibility=Visibility.PUBLIC)
        .values_list("key", flat=True)
    )


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


def followers(block: Block) -> dict[type, set[int]]:
    """Everything whose rendering follows `block` (directly, or through blocks that
    follow it), by model class: {Section: {ids}, Entry: {ids}, Block: {ids}}."""
    found: dict[type, set[int]] = {}
    frontier, seen_blocks = {block.pk}, {block.pk}
    block_type = ContentType.objects.get_for_model(Block)
    while frontier:
        usages = BlockUsage.objects.filter(
            block_id__in=frontier, pinned__isnull=True
        ).select_related("content_type")
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
