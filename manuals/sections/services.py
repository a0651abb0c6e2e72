"""Operations that change the manual. Views, commands and tests call these.

Each runs in one transaction with its permission check in one place. Tree changes take
a tree lock first: treebeard computes paths in Python, so two concurrent inserts under
one parent must not interleave (SQLite's IMMEDIATE transactions serialize writers
already; on PostgreSQL an advisory lock does it).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import audit, directives, permissions
from ..audience import clamp_to_parent, takes_groups
from ..editing.material import looks_material
from ..editing.merge import merge_text
from ..models import AuditEntry, Draft, Kind, Revision, Section, Tag
from ..permissions import require
from ..rendering import validate_body_size
from ..signals import material_changed, section_published, sections_changed

TREE_LOCK_ID = 727_001  # any constant; names the advisory lock of the section tree
MOVE_POSITIONS = {
    "before": "left",
    "after": "right",
    "first-child": "first-child",
    "last-child": "last-child",
}


# How long a section stays correct before its owner must confirm it (review-by date).
REVIEW_DAYS = {Kind.POLICY: 90}
DEFAULT_REVIEW_DAYS = 180

Action = AuditEntry.Action


def default_review_by(kind: str, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=REVIEW_DAYS.get(kind, DEFAULT_REVIEW_DAYS))


@dataclass
class SaveResult:
    """What `section_save` did: 'saved', 'merged', 'unchanged' or 'conflict'."""

    status: str
    revision: Revision | None
    conflict_title: str = ""
    conflict_body: str = ""
    head: Revision | None = None
    draft: Draft | None = None  # where a conflict keeps the editor's own text

    @property
    def ok(self) -> bool:
        return self.status != "conflict"


def _lock_tree() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TREE_LOCK_ID])


def _changed(ids, *, deleted: bool = False) -> None:
    sections_changed.send(sender=Section, section_ids=list(ids), deleted=deleted)


def _subtree_ids(section: Section) -> list[int]:
    return list(Section.objects.get_tree(section).values_list("pk", flat=True))


def _slug_for(title: str) -> str:
    return slugify(title, allow_unicode=True)[:200]


def _check_directives(body: str) -> None:
    try:
        validate_body_size(body)  # also for callers that skip the forms
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from exc
    errors = directives.check(body)
    if errors:
        raise ValidationError({"body": errors})


def _refresh_usage(section: Section) -> None:
    # Read the revisions from the database: callers may hold a stale section.
    section = Section.objects.select_related("head_revision", "published_revision").get(
        pk=section.pk
    )
    texts = [r.body for r in (section.head_revision, section.published_revision) if r]
    directives.refresh_usage(section, texts)


def _new_revision(
    section,
    *,
    user,
    title,
    body,
    base,
    message,
    minor: bool = False,
    material: bool | None = None,
) -> Revision:
    last = (
        section.revisions.order_by("-number").values_list("number", flat=True).first()
    )
    revision = Revision(
        section=section,
        number=(last or 0) + 1,
        title=title.strip(),
        body=body.replace("\r\n", "\n"),
        author=user if user and user.is_authenticated else None,
        message=message.strip()[:255],
        base=base,
        minor=minor,
    )
    if material is None:  # left to the site: guessed from the change
        material = looks_material(base.body if base else "", revision.body)
    revision.material = material
    revision.full_clean(exclude=["section", "base"])
    revision.save()
    section.head_revision = revision
    if section.published_revision_id is None:
        # Never-published sections show their draft title in the editors' tree.
        section.title = revision.title
        section.slug = _slug_for(revision.title)
    section.save(update_fields=["head_revision", "title", "slug"])
    _refresh_usage(section)
    return revision


def _clamp_subtree(section: Section) -> None:
    """Keep `section` and its descendants no wider than their parents."""
    parent = Section.objects.get_parent(section, update=True)
    nodes = [
        section,
        *Section.objects.get_tree(section)
        .exclude(pk=section.pk)
        .prefetch_related("groups"),
    ]
    allowed = {}  # path -> (visibility, group ids) of nodes already clamped
    if parent is not None:
        allowed[parent.path] = (parent.visibility, {g.pk for g in parent.groups.all()})
    for node in nodes:
        parent_path = node.path[: -node.steplen]
        if parent_path not in allowed:
            allowed[node.path] = (node.visibility, {g.pk for g in node.groups.all()})
            continue
        own = {g.pk for g in node.groups.all()}
        vis, groups = clamp_to_parent(allowed[parent_path], (node.visibility, own))
        if vis != node.visibility:
            node.visibility = vis
            node.save(update_fields=["visibility"])
        if takes_groups(vis) and groups != own:
            node.groups.set(groups)
        allowed[node.path] = (vis, groups)


@transaction.atomic
def section_create(
    *,
    parent: Section | None,
    title: str,
    body: str = "",
    kind: str,
    visibility: str,
    user,
    groups=(),
    message: str = "",
    publish: bool | None = None,
) -> Section:
    """Add a section as the last child of `parent` (a new manual when None).

    The first revision is published at once when the user may publish, unless
    `publish=False` asks for a draft.
    """
    require(permissions.can_create(user))
    if parent is not None:
        require(permissions.can_read(user, parent))
    if not title.strip():
        raise ValidationError({"title": _("A section needs a title.")})
    _check_directives(body)
    _lock_tree()
    fields = dict(
        title=title.strip(),
        slug=_slug_for(title),
        kind=kind,
        visibility=visibility,
        owner=user if user.is_authenticated else None,
        review_by=default_review_by(kind),
    )
    if parent is None:
        section = Section.objects.add_root(fields)
    else:
        parent = Section.objects.get(pk=parent.pk)  # fresh numchild/path under lock
        section = Section.objects.add_child(parent, fields)
    if groups:
        section.groups.set(groups)
    _clamp_subtree(section)
    revision = _new_revision(
        section,
        user=user,
        title=title,
        body=body,
        base=None,
        message=message or _("Created"),
    )
    audit.record(
        Action.CREATE,
        user=user,
        section=section,
        kind=kind,
        visibility=section.visibility,
    )
    if publish is None:
        publish = permissions.can_publish(user)
    if publish:
        revision_publish(section=section, revision=revision, user=user)
    section.refresh_from_db()
    return section


@transaction.atomic
def section_save(
    *,
    section: Section,
    user,
    title: str,
    body: str,
    base: Revision | None,
    message: str = "",
    resolves: int | None = None,
    minor: bool = False,
    material: bool | None = None,
) -> SaveResult:
    """Save an edit made from `base`. A stale base is merged three-way with the head.

    `material` marks a change of meaning (publishing it asks read confirmations
    again); None lets `looks_material` decide from the change against the head.

    A clean merge saves the merged text; overlapping changes save nothing, keep the
    editor's text as a conflict draft, and return the merged text with conflict
    markers, so no one's words are lost. `resolves` names the conflict draft this
    save resolves (the conflict page sends it); only then is that draft dropped.
    """
    require(permissions.can_edit(user, section))
    if not title.strip():
        raise ValidationError({"title": _("A section needs a title.")})
    _check_directives(body)
    # Lock the section row first (a no-op on SQLite, whose IMMEDIATE transactions
    # already serialize writers): the head read below must be the head we save on.
    section = (
        Section.objects.select_for_update(of=("self",))
        .select_related("head_revision")
        .get(pk=section.pk)
    )
    head = section.head_revision
    title = title.strip()
    body = body.replace("\r\n", "\n")
    status = "saved"
    if head is not None and base is not None and base.pk != head.pk:
        merged_body, body_conflict = merge_text(base.body, head.body, body)
        merged_title, title_conflict = merge_text(base.title, head.title, title)
        if body_conflict or title_conflict or "\n" in merged_title.strip():
            # Keep the editor's own words where they can find them again (replacing
            # the kept text this save was restored from: it holds newer words).
            if resolves:
                Draft.objects.filter(
                    section=section, user=user, pk=resolves, kind=Draft.Kind.CONFLICT
                ).delete()
            draft = Draft.objects.create(
                section=section,
                user=user,
                kind=Draft.Kind.CONFLICT,
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
                conflict_body=merged_body,
            )
        title, body, status = merged_title.strip(), merged_body, "merged"
    if head is not None and head.title == title and head.body == body:
        return SaveResult(status="unchanged", revision=head, head=head)
    revision = _new_revision(
        section,
        user=user,
        title=title,
        body=body,
        base=head,
        message=message,
        minor=minor,
        material=material,
    )
    # What was autosaved is now in a revision, and so is the conflict this resolves.
    Draft.objects.filter(section=section, user=user).filter(
        models.Q(kind=Draft.Kind.AUTOSAVE) | models.Q(pk=resolves)
    ).delete()
    audit.record(
        Action.EDIT,
        user=user,
        section=section,
        obj=revision,
        revision=revision.number,
        merged=status == "merged",
    )
    return SaveResult(status=status, revision=revision, head=head)


@transaction.atomic
def revision_publish(*, section: Section, revision: Revision, user) -> Section:
    """Make `revision` what readers see."""
    require(permissions.can_publish(user))
    if revision.section_id != section.pk:
        raise ValidationError(_("That revision belongs to another section."))
    now = timezone.now()
    previous_id = section.published_revision_id
    material = previous_id != revision.pk and _is_material(section, revision)
    section.published_revision = revision
    section.published_at = now
    section.updated = now
    section.title = revision.title
    section.slug = _slug_for(revision.title)
    section.save(
        update_fields=["published_revision", "published_at", "updated", "title", "slug"]
    )
    if material:
        # Counted in the database: a block published meanwhile may bump it too.
        Section.objects.filter(pk=section.pk).update(
            material_version=models.F("material_version") + 1
        )
        section.material_version = Section.objects.values_list(
            "material_version", flat=True
        ).get(pk=section.pk)
    if revision.first_published_at is None:
        # Revisions are immutable history; this one fact about them is recorded once.
        Revision.objects.filter(pk=revision.pk, first_published_at=None).update(
            first_published_at=now
        )
        revision.first_published_at = now
    _refresh_usage(section)
    audit.record(
        Action.PUBLISH,
        user=user,
        section=section,
        obj=revision,
        revision=revision.number,
    )
    _changed([section.pk])
    if previous_id != revision.pk:
        section_published.send(
            sender=Section,
            section=section,
            revision=revision,
            previous=Revision.objects.filter(pk=previous_id).first()
            if previous_id
            else None,
            user=user,
        )
    if material:
        material_changed.send(sender=Section, section_ids=[section.pk], user=user)
    return section


def _is_material(section: Section, revision: Revision) -> bool:
    """Does publishing `revision` change what readers were told? Its first
    publication does; then any material revision since the published one (an
    unpublished material draft is not lost by publishing a later minor fix), or
    going back to an older text that differs in meaning."""
    published = (
        Revision.objects.filter(pk=section.published_revision_id).first()
        if section.published_revision_id
        else None
    )
    if published is None:
        return True
    if revision.number > published.number:
        return section.revisions.filter(
            number__gt=published.number, number__lte=revision.number, material=True
        ).exists()
    return looks_material(published.body, revision.body)


@transaction.atomic
def revision_restore(
    *, revision: Revision, user, publish_now: bool = False
) -> Revision:
    """Restoring writes a new revision with the old text; history is never rewritten."""
    section = revision.section
    require(permissions.can_edit(user, section))
    _check_directives(revision.body)
    head = Section.objects.select_for_update().get(pk=section.pk).head_revision
    new = _new_revision(
        section,
        user=user,
        title=revision.title,
        body=revision.body,
        base=head,
        message=_("Restored revision %(number)s") % {"number": revision.number},
    )
    audit.record(
        Action.RESTORE,
        user=user,
        section=section,
        obj=new,
        restored=revision.number,
        revision=new.number,
    )
    if publish_now:
        revision_publish(section=section, revision=new, user=user)
    return new


@transaction.atomic
def section_move(*, section: Section, target: Section, position: str, user) -> Section:
    """Move `section` and its subtree before/after `target` or into it."""
    require(
        permissions.can_edit(user, section)
        and permissions.can_edit(user, target)
        and permissions.can_read(user, target)
    )
    if position not in MOVE_POSITIONS:
        raise ValidationError(_("Unknown position: %(pos)s") % {"pos": position})
    _lock_tree()
    section = Section.objects.get(pk=section.pk)
    target = Section.objects.get(pk=target.pk)
    if target.pk == section.pk or target.is_descendant_of(section):
        raise ValidationError(_("A section cannot be moved into itself."))
    old_parent = Section.objects.get_parent(section)
    Section.objects.move(section, target, MOVE_POSITIONS[position])
    section.refresh_from_db()
    _clamp_subtree(section)
    section.refresh_from_db()
    new_parent = Section.objects.get_parent(section)
    audit.record(
        Action.MOVE,
        user=user,
        section=section,
        position=position,
        target=target.pk,
        old_parent=old_parent.pk if old_parent else None,
        new_parent=new_parent.pk if new_parent else None,
    )
    _changed(_subtree_ids(section))
    return section


def _settings_snapshot(section: Section) -> dict:
    """What the audit log compares before and after a settings change."""
    return {
        "kind": section.kind,
        "visibility": section.visibility,
        "groups": sorted(g.pk for g in section.groups.all()),
        "owner": section.owner_id,
        "review_by": section.review_by.isoformat() if section.review_by else None,
        "tags": sorted(t.name for t in section.tags.all()),
    }


@transaction.atomic
def section_update_settings(
    *,
    section: Section,
    user,
    kind: str,
    visibility: str,
    groups=(),
    owner=None,
    review_by=None,
    tags: list[str] | tuple = (),
) -> Section:
    """Change what no revision holds: kind, visibility, owner, review date, tags."""
    require(permissions.can_edit(user, section))
    section = Section.objects.get(pk=section.pk)
    before = _settings_snapshot(section)
    section.kind = kind
    section.visibility = visibility
    section.owner = owner
    section.review_by = review_by
    section.full_clean(exclude=["path", "depth", "numchild", "title", "slug"])
    section.save(update_fields=["kind", "visibility", "owner", "review_by"])
    section.groups.set(groups if takes_groups(visibility) else [])
    section.tags.set(
        [
            Tag.objects.get_or_create(name=name.strip()[:50])[0]
            for name in tags
            if name.strip()
        ]
    )
    _clamp_subtree(section)
    section.refresh_from_db()
    after = _settings_snapshot(section)
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        action = (
            Action.VISIBILITY
            if {"visibility", "groups"} & changed.keys()
            else Action.SETTINGS
        )
        audit.record(action, user=user, section=section, changes=changed)
    _changed(_subtree_ids(section))
    return section


def _set_trash(section: Section, *, in_trash: bool) -> list[int]:
    subtree = Section.objects.get_tree(section)
    subtree.update(in_trash=in_trash)
    return list(subtree.values_list("pk", flat=True))


@transaction.atomic
def section_delete(*, section: Section, user) -> int:
    """Move a section and its subtree to the trash; returns how many sections went.

    Nothing is hard-deleted from the interface: the subtree keeps its place, its
    revisions and its URLs, hidden from everyone until restored or purged.
    """
    require(permissions.can_delete(user))
    _lock_tree()
    section = Section.objects.get(pk=section.pk)
    if section.in_trash:
        raise ValidationError(_("That section is already in the trash."))
    hidden = section_hidden_descendants(section=section, user=user)
    if hidden:
        # Nobody deletes what they cannot see: the subtree holds others' sections.
        raise ValidationError(
            ngettext(
                "This section contains %(n)s subsection you cannot read; ask "
                "someone who can read it to delete or move it first.",
                "This section contains %(n)s subsections you cannot read; ask "
                "someone who can read them to delete or move them first.",
                hidden,
            )
            % {"n": hidden}
        )
    section.trashed_at = timezone.now()
    section.trashed_by = user
    section.save(update_fields=["trashed_at", "trashed_by"])
    ids = _set_trash(section, in_trash=True)
    audit.record(Action.DELETE, user=user, section=section, sections=len(ids))
    _changed(ids, deleted=True)
    return len(ids)


def section_hidden_descendants(*, section: Section, user) -> int:
    """How many live sections under `section` `user` may not read."""
    live = Section.objects.get_descendants(section).filter(in_trash=False)
    return live.count() - live.readable_by(user).count()


@transaction.atomic
def section_restore(
    *, section: Section, user, parent: Section | None = None
) -> Section:
    """Put a trashed subtree back where it was, or under `parent` if given.

    When the place it was in is itself in the trash, a new parent must be chosen.
    """
    require(permissions.can_delete(user))
    _lock_tree()
    section = Section.objects.get(pk=section.pk)
    # Restoring is a read of what comes back: only what the user could read.
    require(permissions.can_restore(user, section))
    if parent is not None:
        require(permissions.can_read(user, parent))
    if section.trashed_at is None:
        raise ValidationError(_("That section is not in the trash."))
    old_parent = Section.objects.get_parent(section)
    if parent is None and old_parent is not None and old_parent.in_trash:
        raise ValidationError(
            _("The section it was in is in the trash too: choose where to restore it.")
        )
    if parent is not None:
        parent = Section.objects.get(pk=parent.pk)
        if (
            parent.in_trash
            or parent.pk == section.pk
            or parent.is_descendant_of(section)
        ):
            raise ValidationError(_("Choose a section that is not in the trash."))
        Section.objects.move(section, parent, "last-child")
        section.refresh_from_db()
    section.trashed_at = None
    section.trashed_by = None
    section.save(update_fields=["trashed_at", "trashed_by"])
    ids = _set_trash(section, in_trash=False)
    _clamp_subtree(section)
    audit.record(
        Action.UNDELETE,
        user=user,
        section=section,
        sections=len(ids),
        parent=parent.pk if parent else None,
    )
    _changed(ids)
    section.refresh_from_db()
    return section


@transaction.atomic
def section_purge(*, section: Section, user, from_trash: bool = True) -> int:
    """Delete a trashed subtree and its history for good (admins only).

    `from_trash=False` is the Django admin's delete, which skips the trash.
    """
    require(user.is_active and user.is_superuser)
    _lock_tree()
    section = Section.objects.get(pk=section.pk)
    if from_trash and not section.in_trash:
        raise ValidationError(_("Only sections in the trash can be purged."))
    ids = _subtree_ids(section)
    audit.record(
        Action.PURGE,
        user=user,
        section=None,
        obj=section,
        section_id=section.pk,
        sections=len(ids),
    )
    # Revisions point back at sections; clear the section->revision links first so
    # the cascade does not trip over them.
    Section.objects.get_tree(section).update(
        head_revision=None, published_revision=None
    )
    Section.objects.get(pk=section.pk).delete()
    _changed(ids, deleted=True)
    return len(ids)


@transaction.atomic
def section_apply_outside_change(*, section: Section) -> None:
    """Bring the rest up to date after a section was changed outside these
    services (the Django admin's change form): what every service does after a
    change. Keeps the subtree no wider than its parents, refreshes where-used rows
    and re-indexes the subtree (the caller writes the audit entry)."""
    section = Section.objects.get(pk=section.pk)
    _clamp_subtree(section)
    _refresh_usage(section)
    _changed(_subtree_ids(section))


def sections_reindex(*, ids) -> None:
    """Re-index these sections (a tag they carry was renamed or deleted)."""
    _changed(list(ids))
