"""Services for reusable blocks: create, edit (with three-way merge), publish with its
impact and cascade, restore, delete, and updating a section's pin.

Publishing a block re-renders and re-indexes every section that follows it through
the search outbox, in the publishing transaction, so search finds the new text in all
of them at once.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, directives, permissions
from ..audience import ANONYMOUS, takes_groups
from ..diff import side_by_side
from ..editing.material import looks_material
from ..editing.merge import merge_text
from ..models import AuditEntry, Block, BlockDraft, BlockRevision, Section
from ..permissions import can_edit_block, can_publish_block, require
from ..rendering import plain_text, render_markdown, validate_body_size
from ..sections.services import SaveResult, _changed, revision_publish, section_save
from ..signals import blocks_published, material_changed


def pinned_directive(key: str, number: int) -> str:
    return "{{block:" + key + "@" + str(number) + "}}"


RESERVED_KEYS = {"new", "picker"}  # taken by the library's own URLs


def _check(body: str, key: str, block: Block | None = None) -> None:
    try:
        validate_body_size(body)  # also for callers that skip the forms
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from exc
    errors = directives.check(body, block=block, self_key=key)
    if errors:
        raise ValidationError({"body": errors})


def _new_revision(
    block,
    *,
    user,
    title,
    body,
    base,
    message,
    minor: bool = False,
    material: bool | None = None,
) -> BlockRevision:
    last = block.revisions.order_by("-number").values_list("number", flat=True).first()
    if material is None:  # left to the site: guessed from the change
        material = looks_material(base.body if base else "", body.replace("\r\n", "\n"))
    revision = BlockRevision.objects.create(
        block=block,
        number=(last or 0) + 1,
        title=title.strip()[:200],
        body=body.replace("\r\n", "\n"),
        author=user,
        message=message.strip()[:255],
        base=base,
        minor=minor,
        material=material,
    )
    block.head_revision = revision
    block.updated = timezone.now()
    block.save(update_fields=["head_revision", "updated"])
    texts = [r.body for r in (revision, block.published_revision) if r]
    directives.refresh_usage(block, texts)
    return revision


@transaction.atomic
def block_create(
    *,
    key: str,
    title: str,
    body: str,
    visibility: str,
    user,
    groups=(),
    publish: bool | None = None,
) -> Block:
    require(user.is_active and user.has_perm("manuals.add_block"))
    block = Block(
        key=key.strip(), title=title.strip(), visibility=visibility, owner=user
    )
    if block.key in RESERVED_KEYS:
        raise ValidationError({"key": _("That key is reserved; choose another.")})
    block.full_clean(exclude=["head_revision", "published_revision"])
    _check(body, block.key)
    block.save()
    if takes_groups(visibility):
        block.groups.set(groups)
    revision = _new_revision(
        block, user=user, title=title, body=body, base=None, message=_("Created")
    )
    if publish is None:
        publish = can_publish_block(user)
    if publish:
        block_publish(block=block, revision=revision, user=user)
    block.refresh_from_db()
    return block


@transaction.atomic
def block_save(
    *,
    block: Block,
    user,
    body: str,
    base: BlockRevision | None,
    title: str | None = None,
    message: str = "",
    resolves: int | None = None,
    minor: bool = False,
    material: bool | None = None,
) -> SaveResult:
    """Save an edit of a block; a stale base is merged like a section's.

    `material` as for sections: publishing a material change asks the readers of
    every section that follows the block to confirm again; None guesses.

    Overlapping changes save nothing and keep the editor's own text as a BlockDraft
    (returned in the result); `resolves` names the draft a save from the conflict
    page resolves, dropped only when that save succeeds.
    """
    require(can_edit_block(user))
    block = (
        Block.objects.select_for_update(of=("self",))
        .select_related("head_revision")
        .get(pk=block.pk)
    )
    _check(body, block.key, block)
    head = block.head_revision
    title = (title or (head.title if head else block.title)).strip()
    body = body.replace("\r\n", "\n")
    status = "saved"
    if head is not None and base is not None and base.pk != head.pk:
        merged, conflict = merge_text(base.body, head.body, body)
        if conflict:
            # The text being saved replaces the kept text it was restored from.
            if resolves:
                BlockDraft.objects.filter(block=block, user=user, pk=resolves).delete()
            draft = BlockDraft.objects.create(
                block=block,
                user=user,
                title=title,
                body=body,
                base=base,
                conflict_with=head,
            )
            return SaveResult(
                status="conflict",
                revision=None,
                draft=draft,
                head=head,
                conflict_title=title,
                conflict_body=merged,
            )
        body, status = merged, "merged"
    if resolves:  # saved (or nothing left to save): the kept text is dealt with
        BlockDraft.objects.filter(block=block, user=user, pk=resolves).delete()
    if head is not None and head.body == body and head.title == title:
        return SaveResult(status="unchanged", revision=head, head=head)
    revision = _new_revision(
        block,
        user=user,
        title=title,
        body=body,
        base=head,
        message=message,
        minor=minor,
        material=material,
    )
    return SaveResult(status=status, revision=revision, head=head)


def block_pending_draft(*, block: Block, user) -> BlockDraft | None:
    """The user's newest text kept from a colliding save of this block."""
    return BlockDraft.objects.filter(block=block, user=user).first()


def block_discard_drafts(*, block: Block, user) -> int:
    return BlockDraft.objects.filter(block=block, user=user).delete()[0]


@transaction.atomic
def block_publish(*, block: Block, revision: BlockRevision, user) -> list[int]:
    """Publish a block revision; returns the ids of the sections that follow it."""
    require(can_publish_block(user))
    if revision.block_id != block.pk:
        raise ValidationError(_("That revision belongs to another block."))
    block = Block.objects.select_related("published_revision").get(pk=block.pk)
    # Checked again: blocks embedding this one may have changed since it was saved.
    _check(revision.body, block.key, block)
    material = _is_material(block.published_revision, revision)
    block.published_revision = revision
    block.title = revision.title or block.title
    block.updated = timezone.now()
    block.save(update_fields=["published_revision", "title", "updated"])
    directives.refresh_usage(block, [revision.body, block.head_revision.body])
    affected = directives.followers(block)
    section_ids = sorted(affected.get(Section, set()))
    audit.record(
        AuditEntry.Action.BLOCK_PUBLISH,
        user=user,
        obj=block,
        block=block.key,
        revision=revision.number,
        sections=len(section_ids),
    )
    # The search outbox listens: its rows commit with this transaction.
    _changed(section_ids)
    blocks_published.send(
        sender=Block, block=block, affected=affected, revision=revision, user=user
    )
    # followers() leaves out sections pinned to a revision: their text is as it was.
    if material and section_ids:
        Section.objects.filter(pk__in=section_ids).update(
            material_version=F("material_version") + 1
        )
        material_changed.send(sender=Section, section_ids=section_ids, user=user)
    return section_ids


def _is_material(published: BlockRevision | None, revision: BlockRevision) -> bool:
    """Like a section's: any material revision since the published one; the first
    publication of a block changes the sections that already embed it."""
    if published is None:
        return True
    if published.pk == revision.pk:
        return False
    if revision.number > published.number:
        return BlockRevision.objects.filter(
            block_id=revision.block_id,
            number__gt=published.number,
            number__lte=revision.number,
            material=True,
        ).exists()
    return looks_material(published.body, revision.body)


@transaction.atomic
def block_restore(*, revision: BlockRevision, user) -> BlockRevision:
    require(can_edit_block(user))
    block = Block.objects.select_for_update().get(pk=revision.block_id)
    _check(revision.body, block.key, block)
    return _new_revision(
        block,
        user=user,
        title=revision.title,
        body=revision.body,
        base=block.head_revision,
        message=_("Restored revision %(number)s") % {"number": revision.number},
    )


def _readable_pks(model, objs: list, user) -> set:
    """The pks of `objs` (users of a block, all of `model`) that `user` may read:
    the rule of the page each links to, in a few queries whatever their number."""
    if model is Section:
        # can_read with the ancestors given: all of them in one query.
        steplen = Section.steplen
        paths = {
            s.path[:end] for s in objs for end in range(steplen, len(s.path), steplen)
        }
        ancestors = {a.path: a for a in Section.objects.filter(path__in=paths)}
        prefetch_related_objects([*objs, *ancestors.values()], "groups")
        return {
            s.pk
            for s in objs
            if permissions.can_read(
                user,
                s,
                ancestors=[
                    ancestors[s.path[:end]]
                    for end in range(steplen, len(s.path), steplen)
                    if s.path[:end] in ancestors
                ],
            )
        }
    if model is Block:
        prefetch_related_objects(objs, "groups")
        return {b.pk for b in objs if permissions.can_read_block(user, b)}
    # Other apps' models (FAQ entries) say who may see them with `visible_to`.
    visible_to = getattr(model._default_manager, "visible_to", None)
    if visible_to is None:
        return {o.pk for o in objs} if user.is_superuser else set()
    ids = [o.pk for o in objs]
    return set(visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


@dataclass
class Usages:
    rows: list[dict]
    hidden: int  # users of the block that `user` may not read: counted, not named

    def __len__(self):
        return len(self.rows) + self.hidden


def block_usages(*, block: Block, user) -> Usages:
    """Where the block is used, as far as `user` may read: each user object with
    pin state and newer revision, and how many others there are."""
    latest = block.published_revision.number if block.published_revision else None
    found = [
        u
        for u in block.usages.select_related("content_type")
        .prefetch_related("user")
        .order_by("object_id")
        if u.user is not None
    ]
    by_model: dict = {}
    for usage in found:
        by_model.setdefault(type(usage.user), []).append(usage.user)
    readable = {
        (model, pk)
        for model, objs in by_model.items()
        for pk in _readable_pks(model, objs, user)
    }
    rows, hidden = [], 0
    for usage in found:
        obj = usage.user
        if (type(obj), obj.pk) not in readable:
            hidden += 1
            continue
        rows.append(
            {
                "object": obj,
                "type": usage.content_type.model,
                "type_label": obj._meta.verbose_name,
                "pinned": usage.pinned,
                "outdated": usage.pinned is not None
                and latest is not None
                and usage.pinned < latest,
            }
        )
    return Usages(rows=rows, hidden=hidden)


@transaction.atomic
def block_delete(*, block: Block, user) -> None:
    require(user.is_active and user.has_perm("manuals.delete_block"))
    affected = directives.users(block)
    audit.record(
        AuditEntry.Action.BLOCK_PUBLISH,
        user=user,
        obj=block,
        block=block.key,
        deleted=True,
    )
    block.delete()
    # Pinned users lose the text too: re-index everything that embedded it.
    _changed(sorted(affected.get(Section, set())))
    blocks_published.send(sender=Block, block=block, affected=affected)


@transaction.atomic
def pin_update(*, section: Section, block: Block, user):
    """Move every pin of `block` in the section to its published revision, as a new
    revision of the section (published when the section's head was)."""
    section = Section.objects.select_related("head_revision").get(pk=section.pk)
    head = section.head_revision
    latest = block.published_revision
    if latest is None:
        raise ValidationError(_("The block has no published revision."))
    pattern = re.compile(r"\{\{\s*block:" + re.escape(block.key) + r"@\d+\s*\}\}")
    body = pattern.sub(pinned_directive(block.key, latest.number), head.body)
    result = section_save(
        section=section,
        user=user,
        title=head.title,
        body=body,
        base=head,
        message=_("Updated block %(key)s to revision %(n)s")
        % {"key": block.key, "n": latest.number},
    )
    if (
        section.published_revision_id == head.pk
        and result.revision != head
        and permissions.can_publish(user)
    ):
        revision_publish(section=section, revision=result.revision, user=user)
    return result


@dataclass
class Impact:
    following: int
    public: int
    sample: Section | None
    rows: list


def block_impact(*, block: Block, revision: BlockRevision, user) -> Impact:
    """What publishing `revision` would change: how many sections follow the block,
    how many of those are public, and a rendered-text diff of one of them that
    `user` may read (the counts name no section)."""
    audience = permissions.audience_key(user)
    ids = directives.followers(block).get(Section, set())
    sections = Section.objects.filter(pk__in=ids, in_trash=False)
    sample = (
        sections.readable_by(user)
        .select_related("published_revision")
        .order_by("path")
        .first()
    )
    rows = []
    if sample is not None and sample.published_revision is not None:
        body = sample.published_revision.body
        before = plain_text(render_markdown(body, audience).html)
        # The sample as it will read: the candidate revision in place of the
        # published one, wherever in the nesting the block sits.
        after = plain_text(
            render_markdown(body, audience, overrides={block.pk: revision}).html
        )
        rows = side_by_side(before, after)
    return Impact(
        following=sections.count(),
        public=sections.filter(ANONYMOUS.q()).count(),
        sample=sample,
        rows=rows,
    )
