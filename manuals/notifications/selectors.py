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


# What a signed-in reader watches, kept in their session so the watch button costs
# no query: {"s": {section path: [active, subtree]}, "b": [watched block ids]}.
# Filled the first time a session asks (one query), kept in step by the watch views;
# a watch changed in another session of the same person shows there after they
# sign in again (the notifications themselves always follow the database).
WATCH_SESSION_KEY = "kb_watches"


def session_watches(*, user, session) -> dict:
    known = session.get(WATCH_SESSION_KEY) if session is not None else None
    if known is None:
        known = {"s": {}, "b": []}
        rows = Watch.objects.filter(user=user).values_list(
            "section__path", "block_id", "active", "subtree"
        )
        for path, block_id, active, subtree in rows:
            if path is not None:
                known["s"][path] = [active, subtree]
            elif active:
                known["b"].append(block_id)
        if session is not None:
            session[WATCH_SESSION_KEY] = known
    return known


def forget_session_watches(session) -> None:
    if session is not None:
        session.pop(WATCH_SESSION_KEY, None)


def watch_state_with_ancestors(*, user, section, session=None) -> str:
    """How `user` watches `section`: 'section', 'subtree', 'inherited' (a watched
    ancestor's subtree), 'owner', or '' (not watching)."""
    step = type(section).steplen
    rows = session_watches(user=user, session=session)["s"]
    own = rows.get(section.path)
    if own is not None:
        active, subtree = own
        if not active:
            return ""
        return "subtree" if subtree else "section"
    for i in range(step, len(section.path), step):
        found = rows.get(section.path[:i])
        if found and found[0] and found[1]:
            return "inherited"
    return "owner" if section.owner_id == user.pk else ""


def block_watched(*, user, block, session=None) -> bool:
    return block.pk in session_watches(user=user, session=session)["b"]
