"""Reads of notifications: a person's list and unread count."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from . import subjects
from .models import Notification, Watch


def unread_count_sql(user_alias: str) -> str:
    """SQL counting the unread notifications of the user row aliased `user_alias`:
    read with every page's user (NotificationsConfig.ready), so the bell costs no
    query of its own."""
    q = connection.ops.quote_name
    meta = Notification._meta
    recipient = q(meta.get_field("recipient").column)
    read = q(meta.get_field("read_at").column)
    pk = q(get_user_model()._meta.pk.column)
    return (
        f"SELECT COUNT(*) FROM {q(meta.db_table)} n "  # noqa: S608 - model names
        f"WHERE n.{recipient} = {user_alias}.{pk} AND n.{read} IS NULL"
    )


def for_user(*, user, unread_only: bool = False):
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user) -> int:
    known = getattr(user, "kb_unread_notifications", None)
    if known is not None:
        return known
    return for_user(user=user, unread_only=True).count()


def readable(*, user, notifications) -> tuple[list[Notification], int]:
    """The notifications whose subject `user` may still read, and how many are
    hidden: a list of notifications is a read like the pages they point to (a
    section restricted since the notification was sent disappears from it)."""
    rows = list(notifications)
    by_type: dict[int, set[int]] = {}
    for n in rows:
        if n.content_type_id:
            by_type.setdefault(n.content_type_id, set()).add(n.object_id)
    objects = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            objects[(ct_id, obj.pk)] = obj
    shown = []
    for n in rows:
        if n.content_type_id is None:
            shown.append(n)
            continue
        obj = objects.get((n.content_type_id, n.object_id))
        if obj is not None and subjects.can_read(user, obj):
            shown.append(n)
    return shown, len(rows) - len(shown)


def watch_state_with_ancestors(*, user, section) -> str:
    """How `user` watches `section`, in one query: 'section', 'subtree', 'inherited'
    (a watched ancestor's subtree), 'owner', or '' (not watching)."""
    step = type(section).steplen
    paths = [section.path[:i] for i in range(step, len(section.path) + 1, step)]
    rows = {
        path: (active, subtree)
        for path, active, subtree in Watch.objects.filter(
            user=user, section__path__in=paths
        ).values_list("section__path", "active", "subtree")
    }
    own = rows.get(section.path)
    if own is not None:
        active, subtree = own
        if not active:
            return ""
        return "subtree" if subtree else "section"
    if any(active and subtree for path, (active, subtree) in rows.items()):
        return "inherited"
    return "owner" if section.owner_id == user.pk else ""
