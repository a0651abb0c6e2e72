"""Django's ModelBackend, with fewer round trips to the database on every page.

A page asks the user's permissions (can they edit? publish?), the ids of their groups
(restricted sections) and how many FAQ notices they have not read. ModelBackend reads
the user, then user permissions, then group permissions: with the group ids and the
notices that was five queries before the page itself, each a round trip to PostgreSQL.
This backend reads the user with the unread count, and permissions with group ids in
one query, both compiled once per process (kbsite.hotsql). What it answers is exactly
what ModelBackend answers (the tests compare).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .hotsql import HotQuery


def _user_query(user_id):
    from faq.models import Notification

    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        get_user_model()
        ._default_manager.annotate(kb_unread_notices=Coalesce(Subquery(unread), 0))
        .filter(pk=user_id)
    )


def _permissions_query(user_id):
    """(app_label, codename, None) per permission of the user's own, and
    (app_label or None, codename or None, group id) per permission of each group."""
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


USER = HotQuery(_user_query, user_id=int)
PERMISSIONS = HotQuery(_permissions_query, user_id=int)


class KBModelBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:  # a malformed session value: nobody
            return None
        found = USER.objects(user_id=user_id)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None

    def _get_permissions(self, user_obj, obj, from_name):
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or obj is not None
            or user_obj.is_superuser
        ):
            return super()._get_permissions(user_obj, obj, from_name)
        if not hasattr(user_obj, "_group_perm_cache"):
            load_permissions(user_obj)
        return getattr(user_obj, f"_{from_name}_perm_cache")


def load_permissions(user) -> None:
    """Fill ModelBackend's permission caches and the group ids, in one query."""
    user_perms, group_perms, group_ids = set(), set(), set()
    for app_label, codename, group_id in PERMISSIONS.rows(user_id=user.pk):
        if group_id is None:
            user_perms.add(f"{app_label}.{codename}")
            continue
        group_ids.add(group_id)
        if codename is not None:
            group_perms.add(f"{app_label}.{codename}")
    user._user_perm_cache = user_perms
    user._group_perm_cache = group_perms
    user._kb_group_ids = frozenset(group_ids)
