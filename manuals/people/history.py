"""The audit trail of people and teams: what the services record, and the sentence
each entry says in the reader's language.

Entries are the manual's audit entries (action "people") whose detail names the
event and what changed, by stored names (role names, usernames, team names), so a
sentence is put together when it is read: roles in the reader's language, and names
as they were at the time.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from manuals import audit
from manuals.models import AuditEntry

from ..roles import role_label, role_order


def record(event: str, *, actor, obj, **detail) -> AuditEntry:
    """One audit entry about a person or team, in the caller's transaction."""
    return audit.record(
        AuditEntry.Action.PEOPLE, user=actor, obj=obj, event=event, **detail
    )


def names_of(objects) -> list[str]:
    """Group, team or user names to store, sorted as they are shown."""
    names = [getattr(o, "name", None) or o.get_username() for o in objects]
    return sorted(names, key=role_order)


@dataclass
class Described:
    sentence: str
    details: list[str] = field(default_factory=list)


def _list(names) -> str:
    # Translators: what separates the items of a list ("Agent, Editor").
    return pgettext("list separator", ", ").join(str(n) for n in names)


def _roles(names) -> str:
    return _list(role_label(n) for n in sorted(names, key=role_order))


# What each list in an entry's detail says; {"list": the names} fills it in.
LIST_SENTENCES = {
    "roles": lambda n: ngettext("Role: %(list)s.", "Roles: %(list)s.", n),
    "roles_added": lambda n: ngettext(
        "Gave the role %(list)s.", "Gave the roles %(list)s.", n
    ),
    "roles_removed": lambda n: ngettext(
        "Took away the role %(list)s.", "Took away the roles %(list)s.", n
    ),
    "groups": lambda n: ngettext(
        "Restricted group: %(list)s.", "Restricted groups: %(list)s.", n
    ),
    "groups_added": lambda n: ngettext(
        "Added to the restricted group %(list)s.",
        "Added to the restricted groups %(list)s.",
        n,
    ),
    "groups_removed": lambda n: ngettext(
        "Removed from the restricted group %(list)s.",
        "Removed from the restricted groups %(list)s.",
        n,
    ),
    "teams": lambda n: ngettext("Team: %(list)s.", "Teams: %(list)s.", n),
    "teams_added": lambda n: ngettext(
        "Added to the team %(list)s.", "Added to the teams %(list)s.", n
    ),
    "teams_removed": lambda n: ngettext(
        "Removed from the team %(list)s.", "Removed from the teams %(list)s.", n
    ),
    "members": lambda n: ngettext("Member: %(list)s.", "Members: %(list)s.", n),
    "members_added": lambda n: ngettext(
        "Added the member %(list)s.", "Added the members %(list)s.", n
    ),
    "members_removed": lambda n: ngettext(
        "Removed the member %(list)s.", "Removed the members %(list)s.", n
    ),
}
ROLE_LISTS = {"roles", "roles_added", "roles_removed"}


def _lists(d: dict, keys) -> list[str]:
    lines = []
    for key in keys:
        names = d.get(key)
        if names:
            joined = _roles(names) if key in ROLE_LISTS else _list(names)
            lines.append(LIST_SENTENCES[key](len(names)) % {"list": joined})
    return lines


def _user_details(d: dict) -> list[str]:
    lines = _lists(
        d,
        [
            "roles",
            "roles_added",
            "roles_removed",
            "groups",
            "groups_added",
            "groups_removed",
            "teams",
            "teams_added",
            "teams_removed",
        ],
    )
    if "name" in d:
        old, new = d["name"]
        lines.append(
            _("Changed the name from “%(old)s” to “%(new)s”.")
            % {"old": old or "—", "new": new or "—"}
        )
    if "email" in d:
        old, new = d["email"]
        lines.append(
            _("Changed the e-mail address from %(old)s to %(new)s.")
            % {"old": old or "—", "new": new or "—"}
        )
    if "superuser" in d:
        lines.append(
            _("Made them an administrator (superuser).")
            if d["superuser"]
            else _("Took away administrator (superuser) rights.")
        )
    if "staff" in d:
        lines.append(
            _("Gave access to the admin site.")
            if d["staff"]
            else _("Took away access to the admin site.")
        )
    return lines


def _team_details(d: dict) -> list[str]:
    lines = []
    if "name" in d:
        old, new = d["name"]
        lines.append(
            _("Renamed from “%(old)s” to “%(new)s”.") % {"old": old, "new": new}
        )
    if "lead" in d:
        old, new = d["lead"]
        if new:
            lines.append(_("Lead: %(name)s.") % {"name": new})
        elif old:
            lines.append(_("No lead any more (was %(name)s).") % {"name": old})
    if d.get("description"):
        lines.append(_("Changed the description."))
    return lines + _lists(d, ["members", "members_added", "members_removed"])


def describe(entry: AuditEntry) -> Described:
    """The sentence an entry says, and its details, in the current language."""
    d = entry.detail or {}
    who = {
        "actor": entry.username or _("Someone"),
        "user": d.get("person", entry.object_repr),
        "team": d.get("team", entry.object_repr),
    }
    event = d.get("event", "")
    sentences = {
        "user_create": _("%(actor)s created the account %(user)s."),
        "user_update": _("%(actor)s changed the account %(user)s."),
        "user_deactivate": _("%(actor)s deactivated %(user)s."),
        "user_reactivate": _("%(actor)s reactivated %(user)s."),
        "user_password_reset": _(
            "%(actor)s reset the password of %(user)s and made a new set-password link."
        ),
        "user_password_set": _("%(user)s set their password."),
        "team_create": _("%(actor)s created the team %(team)s."),
        "team_update": _("%(actor)s changed the team %(team)s."),
        "team_delete": _("%(actor)s deleted the team %(team)s."),
        "import": _("%(actor)s imported people from a CSV file."),
    }
    sentence = sentences.get(event, _("%(actor)s changed %(user)s.")) % who
    if event.startswith("team_"):
        details = _team_details(d)
    elif event == "import":
        details = [
            _("Created: %(created)s, updated: %(updated)s, skipped: %(skipped)s.")
            % {k: d.get(k, 0) for k in ("created", "updated", "skipped")}
        ]
    else:
        details = _user_details(d)
        if d.get("via") == "import":
            details.append(_("From a CSV import."))
    return Described(sentence=sentence, details=details)
