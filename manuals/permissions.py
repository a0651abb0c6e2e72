"""Permission questions as small named functions for views, services and selectors.

Roles are Django groups (see kbsite.roles); these functions only ask for permissions,
so a deployment can grant them to any group it likes. What a visibility lets a
reader see is `Audience` (manuals.audience, re-exported here): every check below
that concerns visibility asks it.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .audience import (
    Audience,
    load_permissions,
    narrower,
    reads_internal,
    user_group_ids,
)
from .models import Section

__all__ = [
    "Audience",
    "audience_key",
    "can_create",
    "can_delete",
    "can_edit",
    "can_edit_block",
    "can_publish",
    "can_publish_block",
    "can_read",
    "can_read_block",
    "can_read_internal",
    "can_restore",
    "can_view_audit",
    "load_permissions",
    "narrower",
    "require",
    "user_group_ids",
]


def require(allowed: bool) -> None:
    """Raise PermissionDenied, in plain words, unless `allowed`: the one way the
    services refuse (`require(can_edit(user, section))`)."""
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do that."))


def can_read_internal(user) -> bool:
    return reads_internal(user)


def can_read(user, section: Section, ancestors=None, *, include_trash=False) -> bool:
    """May `user` read `section`? Checks the section and every ancestor.

    The services keep children no wider than parents; checking ancestors too means a
    row changed behind their back (admin, raw SQL) still cannot leak. Trashed
    sections are read by no one, except through the trash (`include_trash`), where
    editors see what they could read were it not deleted.
    """
    if section.in_trash and not include_trash:
        return False
    if user.is_superuser:
        return True
    if ancestors is None:
        ancestors = list(
            Section.objects.get_ancestors(section).prefetch_related("groups")
        )
    # Readers see only what is published, and only under published sections (the
    # tree hides the rest, and breadcrumbs must not show a draft's title).
    if not can_edit(user) and any(
        s.published_revision_id is None for s in [*ancestors, section]
    ):
        return False
    audience = Audience.for_user(user)
    return all(audience.sees_object(s) for s in [*ancestors, section])


def can_edit(user, section: Section | None = None) -> bool:
    return user.is_active and user.has_perm("manuals.change_section")


def can_create(user) -> bool:
    return user.is_active and user.has_perm("manuals.add_section")


def can_delete(user) -> bool:
    return user.is_active and user.has_perm("manuals.delete_section")


def can_publish(user) -> bool:
    return user.is_active and user.has_perm("manuals.publish_section")


def can_view_audit(user) -> bool:
    return user.is_active and user.has_perm("manuals.view_auditentry")


def can_restore(user, section: Section) -> bool:
    """May `user` see `section` in the trash and restore it? Editors who delete,
    for what they could read were it not deleted."""
    return can_delete(user) and can_read(user, section, include_trash=True)


def can_edit_block(user) -> bool:
    return user.is_active and user.has_perm("manuals.change_block")


def can_publish_block(user) -> bool:
    return user.is_active and user.has_perm("manuals.publish_block")


def can_read_block(user, block) -> bool:
    """May `user` open `block` in the library? Its audience, and published unless
    the user may edit blocks (drafts and their history are for editors)."""
    if user.is_superuser:
        return True
    if not can_read_internal(user):
        return False
    if not Audience.for_user(user).sees_object(block):
        return False
    return block.published_revision_id is not None or can_edit_block(user)


def audience_key(user) -> str:
    """The cache key of what `user` may see (Audience.for_user(user).key)."""
    return Audience.for_user(user).key
