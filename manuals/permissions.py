"""Permission questions as small named functions for views, services and selectors.

Roles are Django groups (see kbsite.roles); these functions only ask for permissions,
so a deployment can grant them to any group it likes.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import IntegerField, Value

from .models import VISIBILITY_RANK, Section, Visibility


def can_read_internal(user) -> bool:
    return user.is_active and user.has_perm("manuals.view_internal")


def _permissions_query(user_id):
    """(app_label, codename, None) per permission of the user's own, and
    (app_label or None, codename or None, group id) per permission of each group
    (a group without permissions still gives its id)."""
    user_model = get_user_model()
    groups_field = user_model._meta.get_field("groups")
    membership = groups_field.remote_field.through
    user_field = groups_field.m2m_field_name()
    perms_query = user_model._meta.get_field("user_permissions").related_query_name()
    direct = (
        Permission.objects.filter(**{f"{perms_query}__pk": user_id})
        .order_by()
        .values_list(
            "content_type__app_label",
            "codename",
            Value(None, output_field=IntegerField()),
        )
    )
    through_groups = (
        membership.objects.filter(**{f"{user_field}_id": user_id})
        .order_by()
        .values_list(
            "group__permissions__content_type__app_label",
            "group__permissions__codename",
            "group_id",
        )
    )
    return direct.union(through_groups, all=True)


@dataclass(frozen=True)
class UserPermissions:
    """What one query tells about a user: own and group permissions, group ids."""

    own: frozenset[str]
    through_groups: frozenset[str]
    group_ids: frozenset[int]


def load_permissions(user) -> UserPermissions:
    """The user's permissions and group ids in one query, asked once per request
    and kept on the user (kbsite.auth.KBModelBackend answers from it)."""
    found = getattr(user, "_kb_permissions", None)
    if found is not None:
        return found
    own, through_groups, group_ids = set(), set(), set()
    if user.is_authenticated:
        for app_label, codename, group_id in _permissions_query(user.pk):
            if group_id is None:
                own.add(f"{app_label}.{codename}")
                continue
            group_ids.add(group_id)
            if codename is not None:
                through_groups.add(f"{app_label}.{codename}")
    found = UserPermissions(
        frozenset(own), frozenset(through_groups), frozenset(group_ids)
    )
    user._kb_permissions = found
    return found


def user_group_ids(user) -> frozenset[int]:
    """The ids of the user's groups, asked once per request and kept on the user."""
    if not user.is_authenticated:
        return frozenset()
    return load_permissions(user).group_ids


def _visibility_allows(user, section: Section, group_ids: frozenset[int]) -> bool:
    if section.visibility == Visibility.PUBLIC:
        return True
    if not can_read_internal(user):
        return False
    if section.visibility == Visibility.INTERNAL:
        return True
    return bool(group_ids & {g.pk for g in section.groups.all()})


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
    group_ids = user_group_ids(user)
    return all(_visibility_allows(user, s, group_ids) for s in [*ancestors, section])


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
    if not audience_sees(
        audience_key(user), block.visibility, [g.pk for g in block.groups.all()]
    ):
        return False
    return block.published_revision_id is not None or can_edit_block(user)


def audience_key(user) -> str:
    """A cache key naming what `user` may see: 'public', 'internal' or groups."""
    if user.is_superuser:
        return "all"
    if not user.is_authenticated or not can_read_internal(user):
        return "public"
    return "internal:" + ",".join(map(str, sorted(user_group_ids(user))))


def narrower(a: str, b: str) -> str:
    """The narrower of two visibilities."""
    return a if VISIBILITY_RANK[a] >= VISIBILITY_RANK[b] else b


def audience_sees(audience: str, visibility: str, group_ids) -> bool:
    """May `audience` (see audience_key) see something of `visibility` restricted to
    `group_ids`?"""
    if audience == "all" or visibility == Visibility.PUBLIC:
        return True
    if not audience.startswith("internal:"):
        return False
    if visibility == Visibility.INTERNAL:
        return True
    mine = {int(g) for g in audience.split(":", 1)[1].split(",") if g}
    return bool(mine & set(group_ids))
