"""The audit log: one call records who did what to which section, in the caller's
transaction, so an action and its record commit or roll back together."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import permissions
from .models import AuditEntry, Block, Kind, Section, Tag, Visibility


def record(action: str, *, user, section: Section | None = None, obj=None, **detail):
    """Write one audit entry. `detail` must be JSON-serializable."""
    authenticated = user is not None and user.is_authenticated
    return AuditEntry.objects.create(
        action=action,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        section=section,
        object_repr=str(obj if obj is not None else section or "")[:255],
        detail=detail,
    )


def readable_entries(user, entries=None):
    """The audit entries `user` may read, and how many others the same filter found.

    An entry is a read of what it is about: it names a section, a block, an FAQ
    entry or a tag, so it passes the check of that thing's own page. Entries about
    the rest (restricted, never published, trashed, purged, deleted) are counted,
    not described. Admins see everything. Anything this does not know is hidden.
    """
    entries = AuditEntry.objects.all() if entries is None else entries
    if user.is_superuser:
        return entries, 0
    sections = Section.objects.visible_to(user).values("pk")
    block_keys = [
        b.key
        for b in Block.objects.prefetch_related("groups")
        if permissions.can_read_block(user, b)
    ]
    tag_names = Tag.objects.filter(
        Q(section__isnull=True) | Q(section__in=sections)
    ).values("name")
    about_nothing = Q(section__isnull=True)
    allowed = (
        Q(section__in=sections)
        | about_nothing
        & Q(action=AuditEntry.Action.BLOCK_PUBLISH, detail__block__in=block_keys)
        | about_nothing
        & Q(action=AuditEntry.Action.ADMIN, detail__model="manuals.tag")
        & Q(object_repr__in=tag_names)
        | about_nothing
        & Q(action=AuditEntry.Action.ADMIN, detail__model="manuals.portalsettings")
    )
    if permissions.can_read_internal(user):
        # FAQ entries and categories are public or internal: staff read them all.
        allowed |= about_nothing & (
            Q(action=AuditEntry.Action.FAQ)
            | Q(
                action=AuditEntry.Action.ADMIN,
                detail__model__in=["faq.entry", "faq.category"],
            )
        )
    if user.is_active and user.has_perm("people.manage_people"):
        # Who created, changed or deactivated whom (manuals.people): for those who
        # manage people. Asked by the permission's name: the manual imports no app.
        allowed |= about_nothing & Q(action=AuditEntry.Action.PEOPLE)
    readable = entries.filter(allowed)
    return readable, entries.count() - readable.count()


# --- what an entry says ----------------------------------------------------------


@dataclass
class Described:
    """An entry as a sentence and a few detail lines, in the current language."""

    sentence: str
    details: list[str] = field(default_factory=list)


# Other apps say what their own actions mean (people registers "people").
_describers: dict[str, Callable[[AuditEntry], Described]] = {}


def register_describer(action: str, describe: Callable[[AuditEntry], Described]):
    _describers[action] = describe


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _names(entries) -> tuple[dict, dict]:
    """Group and user names the settings entries of a page mention (two queries)."""
    group_ids, user_ids = set(), set()
    for entry in entries:
        changes = (entry.detail or {}).get("changes") or {}
        for value in changes.get("groups", []):
            group_ids.update(value or [])
        for value in changes.get("owner", []):
            if value:
                user_ids.add(value)
    groups = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    users = dict(
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list("pk", get_user_model().USERNAME_FIELD)
    )
    return groups, users


def _setting(name: str, value, groups: dict, users: dict) -> str:
    if value in (None, "", []):
        return "—"
    if name == "kind":
        return _label(Kind, value)
    if name == "visibility":
        return _label(Visibility, value)
    if name == "groups":
        return ", ".join(groups.get(g, f"#{g}") for g in value)
    if name == "owner":
        return users.get(value, f"#{value}")
    if name == "tags":
        return ", ".join(value)
    return str(value)


SETTING_NAMES = {
    "kind": gettext_lazy("Kind"),
    "visibility": gettext_lazy("Visibility"),
    "groups": gettext_lazy("Restricted groups"),
    "owner": gettext_lazy("Owner"),
    "review_by": gettext_lazy("Review by"),
    "tags": gettext_lazy("Tags"),
}


def _describe(entry: AuditEntry, groups: dict, users: dict) -> Described:
    if entry.action in _describers:
        return _describers[entry.action](entry)
    d = entry.detail or {}
    A = AuditEntry.Action
    what = {
        "actor": entry.username or _("Someone"),
        "obj": entry.section.title if entry.section_id else entry.object_repr,
        "revision": d.get("revision", "?"),
        "restored": d.get("restored", "?"),
        "count": d.get("sections", 1),
        "block": d.get("block", entry.object_repr),
        "when": str(d.get("publish_at", ""))[:16].replace("T", " "),
        "next": d.get("next_review", ""),
    }
    details: list[str] = []
    if entry.action == A.CREATE:
        sentence = _("%(actor)s created “%(obj)s”.")
        details = [
            _("Kind: %(kind)s; visibility: %(vis)s.")
            % {
                "kind": _label(Kind, d.get("kind", "")),
                "vis": _label(Visibility, d.get("visibility", "")),
            }
        ]
    elif entry.action == A.EDIT:
        sentence = _("%(actor)s saved revision %(revision)s.")
        if d.get("merged"):
            details = [_("Merged with changes another editor saved meanwhile.")]
    elif entry.action == A.PUBLISH:
        sentence = _("%(actor)s published revision %(revision)s.")
    elif entry.action == A.RESTORE:
        sentence = _(
            "%(actor)s restored revision %(restored)s as revision %(revision)s."
        )
    elif entry.action == A.MOVE:
        sentence = _("%(actor)s moved “%(obj)s”.")
    elif entry.action in (A.SETTINGS, A.VISIBILITY):
        sentence = _("%(actor)s changed the settings of “%(obj)s”.")
        for name, (old, new) in (d.get("changes") or {}).items():
            details.append(
                _("%(setting)s: %(old)s → %(new)s")
                % {
                    "setting": SETTING_NAMES.get(name, name),
                    "old": _setting(name, old, groups, users),
                    "new": _setting(name, new, groups, users),
                }
            )
    elif entry.action == A.DELETE:
        sentence = ngettext(
            "%(actor)s moved “%(obj)s” to the trash.",
            "%(actor)s moved “%(obj)s” and its subsections (%(count)s in all) to "
            "the trash.",
            what["count"],
        )
    elif entry.action == A.UNDELETE:
        sentence = _("%(actor)s restored “%(obj)s” from the trash.")
    elif entry.action == A.PURGE:
        sentence = ngettext(
            "%(actor)s deleted “%(obj)s” for good.",
            "%(actor)s deleted “%(obj)s” and its subsections (%(count)s in all) for "
            "good.",
            what["count"],
        )
    elif entry.action == A.REVIEW_SUBMIT:
        sentence = _("%(actor)s sent revision %(revision)s for review.")
    elif entry.action == A.REVIEW_APPROVE:
        sentence = _("%(actor)s approved revision %(revision)s.")
    elif entry.action == A.REVIEW_CHANGES:
        sentence = _("%(actor)s asked for changes to revision %(revision)s.")
        if d.get("comment"):
            details = [d["comment"]]
    elif entry.action == A.SCHEDULE:
        sentence = _("%(actor)s scheduled revision %(revision)s for %(when)s.")
    elif entry.action == A.REVIEWED:
        sentence = _(
            "%(actor)s confirmed “%(obj)s” is correct; next review by %(next)s."
        )
    elif entry.action == A.BLOCK_PUBLISH:
        if d.get("deleted"):
            sentence = _("%(actor)s deleted the block %(block)s.")
        else:
            sentence = _(
                "%(actor)s published revision %(revision)s of the block %(block)s."
            )
            if "sections" in d:
                details = [
                    ngettext(
                        "%(count)s section follows it.",
                        "%(count)s sections follow it.",
                        d["sections"],
                    )
                    % {"count": d["sections"]}
                ]
    elif entry.action == A.FAQ:
        sentence = {
            "create": _("%(actor)s created the FAQ entry “%(obj)s”."),
            "edit": _("%(actor)s edited the FAQ entry “%(obj)s”."),
            "delete": _("%(actor)s deleted the FAQ entry “%(obj)s”."),
        }.get(d.get("change"), _("%(actor)s changed the FAQ entry “%(obj)s”."))
    elif entry.action == A.ADMIN:
        sentence = _("%(actor)s changed “%(obj)s” in the admin site.")
        if d.get("model"):
            details = [str(d["model"])]
    else:
        sentence = "%(actor)s: " + str(entry.get_action_display())
    return Described(sentence=sentence % what, details=details)


def describe_entries(entries) -> list[tuple[AuditEntry, Described]]:
    """Each entry with what it says (names it mentions read in two queries)."""
    entries = list(entries)
    groups, users = _names(entries)
    return [(e, _describe(e, groups, users)) for e in entries]
