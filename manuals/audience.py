"""The one audience vocabulary: what a visibility is, who reads, and who sees what.

A section, block or FAQ entry is public, internal (staff) or restricted to groups.
A reader is an `Audience`: the public, staff with the ids of their groups, or
everything (superusers). `Audience.sees()` is the rule, `Audience.q()` the same rule
as a queryset filter, `Audience.key` its name in cache keys. Models, permissions,
rendering, search documents, the FAQ, feedback and the exports all ask here; nothing
else compares visibility strings.

This module imports no model of ours (the models use it), so it holds what it needs
to know about a user: their permissions and group ids, read in one query per
request (`load_permissions`, which kbsite's auth backend answers from).
"""

from dataclasses import dataclass
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal (staff)")
    RESTRICTED = "restricted", _("Restricted to groups")


# Narrower visibility ranks higher; a section is never wider than its parent.
VISIBILITY_RANK = {
    Visibility.PUBLIC: 0,
    Visibility.INTERNAL: 1,
    Visibility.RESTRICTED: 2,
}

VIEW_INTERNAL = "manuals.view_internal"


def narrower(a: str, b: str) -> str:
    """The narrower of two visibilities."""
    return a if VISIBILITY_RANK[a] >= VISIBILITY_RANK[b] else b


def takes_groups(visibility: str) -> bool:
    """Only a restricted thing has groups; for the others they mean nothing."""
    return visibility == Visibility.RESTRICTED


def clamp_to_parent(parent: tuple[str, set], own: tuple[str, set]) -> tuple[str, set]:
    """What the services store for a node under `parent` (each a (visibility, group
    ids) pair): never wider than the parent; restricted under restricted keeps the
    groups both allow, or the parent's when they share none."""
    p_vis, p_groups = parent
    vis, groups = own
    if VISIBILITY_RANK[vis] < VISIBILITY_RANK[p_vis]:
        return p_vis, set(p_groups)
    if vis == Visibility.RESTRICTED and p_vis == Visibility.RESTRICTED:
        return vis, (set(groups) & set(p_groups)) or set(p_groups)
    return vis, set(groups)


def effective_visibility(chain) -> tuple[str, tuple[int, ...]]:
    """The narrowest visibility along `chain` (root first; nodes with `visibility`
    and `groups`), and the groups allowed when restricted: those every restricted
    node allows. The services keep children no wider than parents, so this is
    normally the last node's own; computed anyway, a row changed behind their back
    can only narrow what it means."""
    visibility = Visibility.PUBLIC
    groups: set[int] | None = None
    for node in chain:
        if VISIBILITY_RANK[node.visibility] > VISIBILITY_RANK[visibility]:
            visibility = node.visibility
        if node.visibility == Visibility.RESTRICTED:
            ids = {g.pk for g in node.groups.all()}
            groups = ids if groups is None else groups & ids
    if visibility != Visibility.RESTRICTED:
        return visibility, ()
    return visibility, tuple(sorted(groups or ()))


# --- who the user is -------------------------------------------------------------


@lru_cache(maxsize=8)
def _permissions_sql(vendor: str) -> str:
    """(app_label, codename, NULL) per permission of the user's own, and (app_label
    or NULL, codename or NULL, group id) per permission of each of their groups (a
    group without permissions still gives its id), for parameters (user, user).

    Plain SQL through the cursor (Django's documented raw-SQL API), its names taken
    from the models' _meta: every page asks this, and building it with the ORM cost
    more than the database takes to answer it.
    """
    q = connection.ops.quote_name
    user_model = get_user_model()

    def through(field):
        """(table, column of the user side, column of the other side)."""
        remote = field.remote_field.through._meta
        near = remote.get_field(field.m2m_field_name()).column
        far = remote.get_field(field.m2m_reverse_field_name()).column
        return q(remote.db_table), q(near), q(far)

    own, own_user, own_perm = through(user_model._meta.get_field("user_permissions"))
    member, member_user, member_group = through(user_model._meta.get_field("groups"))
    grants, grant_group, grant_perm = through(Group._meta.get_field("permissions"))
    perm = q(Permission._meta.db_table)
    ctype = q(ContentType._meta.db_table)
    return (
        f"SELECT ct.app_label, p.codename, CAST(NULL AS INTEGER) FROM {own} o "  # noqa: S608 - table and column names from the models
        f"JOIN {perm} p ON p.id = o.{own_perm} "
        f"JOIN {ctype} ct ON ct.id = p.content_type_id WHERE o.{own_user} = %s "
        "UNION ALL "
        f"SELECT ct.app_label, p.codename, m.{member_group} FROM {member} m "
        f"LEFT JOIN {grants} g ON g.{grant_group} = m.{member_group} "
        f"LEFT JOIN {perm} p ON p.id = g.{grant_perm} "
        f"LEFT JOIN {ctype} ct ON ct.id = p.content_type_id "
        f"WHERE m.{member_user} = %s"
    )


def _permissions_rows(user_id) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_permissions_sql(connection.vendor), [user_id, user_id])
        return cursor.fetchall()


@dataclass(frozen=True)
class UserPermissions:
    """What one query tells about a user: own and group permissions, group ids."""

    own: frozenset[str]
    through_groups: frozenset[str]
    group_ids: frozenset[int]

    @property
    def all(self) -> frozenset[str]:
        return self.own | self.through_groups


def load_permissions(user) -> UserPermissions:
    """The user's permissions and group ids in one query, asked once per request
    and kept on the user (kbsite.auth.KBModelBackend answers from it)."""
    found = getattr(user, "_kb_permissions", None)
    if found is not None:
        return found
    own, through_groups, group_ids = set(), set(), set()
    if user.is_authenticated:
        for app_label, codename, group_id in _permissions_rows(user.pk):
            if group_id is None:
                own.add(f"{app_label}.{codename}")
                continue
            group_ids.add(group_id)
            if codename is not None:
                through_groups.add(f"{app_label}.{codename}")
    found = UserPermissions(
        frozenset(own), frozenset(through_groups), frozenset(group_ids)
    )
    # Asked a dozen times a page (perms in templates): answer from one frozen set.
    user._kb_all_permissions = found.all
    user._kb_permissions = found
    return found


def user_group_ids(user) -> frozenset[int]:
    """The ids of the user's groups, asked once per request and kept on the user."""
    if not user.is_authenticated:
        return frozenset()
    return load_permissions(user).group_ids


def reads_internal(user) -> bool:
    """Staff: may read internal text (agents and every role above them)."""
    return user.is_active and user.has_perm(VIEW_INTERNAL)


# --- the audience ----------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """Who reads, as far as visibility goes.

    level "public": anyone, logged in or not, without internal access; "staff":
    readers of internal text, who also read what is restricted to `group_ids`;
    "all": superusers, who read everything.
    """

    PUBLIC = "public"
    STAFF = "staff"
    ALL = "all"

    level: str = PUBLIC
    group_ids: frozenset[int] = frozenset()

    @classmethod
    def for_user(cls, user) -> "Audience":
        """The user's audience, worked out once per request (kept on the user)."""
        found = getattr(user, "_kb_audience", None)
        if found is None:
            if user.is_superuser and user.is_active:
                found = EVERYONE
            elif not user.is_authenticated or not reads_internal(user):
                found = ANONYMOUS
            else:
                found = cls(cls.STAFF, frozenset(user_group_ids(user)))
            try:
                user._kb_audience = found
            except AttributeError:  # an object that takes no attributes
                pass
        return found

    @classmethod
    def from_key(cls, key: str) -> "Audience":
        """The audience a `key` names (what cached renderings are keyed by)."""
        return _from_key(key)

    @property
    def key(self) -> str:
        """'public', 'all' or 'internal:<sorted group ids>': equal keys, equal view."""
        if self.level == self.STAFF:
            return "internal:" + ",".join(map(str, sorted(self.group_ids)))
        return self.level

    @property
    def is_public(self) -> bool:
        return self.level == self.PUBLIC

    @property
    def is_staff(self) -> bool:
        """Reads internal text (staff and superusers)."""
        return self.level != self.PUBLIC

    def sees(self, visibility: str, group_ids=()) -> bool:
        """May this audience see something of `visibility` restricted to
        `group_ids` (ignored unless restricted)?"""
        if self.level == self.ALL or visibility == Visibility.PUBLIC:
            return True
        if self.level != self.STAFF:
            return False
        if visibility == Visibility.INTERNAL:
            return True
        return bool(self.group_ids & set(group_ids))

    def sees_object(self, obj) -> bool:
        """`sees` for a row with `visibility` and `groups` (asked only when it is
        restricted: prefetch `groups` for many rows)."""
        if not takes_groups(obj.visibility):
            return self.sees(obj.visibility)
        return self.sees(obj.visibility, [g.pk for g in obj.groups.all()])

    def q(self, *, restricted_ids=None, prefix: str = "", groups: bool = True) -> Q:
        """`sees` as a filter on a model with `visibility` (and `groups`).

        `restricted_ids` is a subquery of the pks, among restricted rows, that one
        of the audience's groups may read (a subquery rather than a join: no
        DISTINCT, so ordering and LIMIT can use the indexes); without it groups
        are matched through `<prefix>groups`. A model without groups
        (`groups=False`) has no restricted rows anyone but superusers may read.
        """
        field = f"{prefix}visibility"
        if self.level == self.ALL:
            return Q()
        if self.level != self.STAFF:
            return Q(**{field: Visibility.PUBLIC})
        wide = Q(**{f"{field}__in": [Visibility.PUBLIC, Visibility.INTERNAL]})
        if not groups or not self.group_ids:
            return wide
        if restricted_ids is None:
            in_group = Q(**{f"{prefix}groups__in": self.group_ids})
        else:
            in_group = Q(**{f"{prefix}pk__in": restricted_ids})
        return wide | (Q(**{field: Visibility.RESTRICTED}) & in_group)


ANONYMOUS = Audience(Audience.PUBLIC)
EVERYONE = Audience(Audience.ALL)
STAFF_ONLY = Audience(Audience.STAFF)  # staff in no restricted group

# Audiences by the words commands and forms use for them (export_manual --visibility).
AUDIENCE_NAMES = {"public": ANONYMOUS, "internal": STAFF_ONLY, "all": EVERYONE}


@lru_cache(maxsize=1024)
def _from_key(key: str) -> Audience:
    if key == Audience.ALL:
        return EVERYONE
    if key.startswith("internal:"):
        ids = frozenset(int(g) for g in key.split(":", 1)[1].split(",") if g)
        return Audience(Audience.STAFF, ids)
    return ANONYMOUS
