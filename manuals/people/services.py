"""Writes about people and teams: accounts, their roles, groups and teams, being
active, set-password links, teams, and the CSV import.

Each runs in one transaction with its permission check (manuals.permissions.require)
and its audit entry (history.record). Links are made after the change is saved and
e-mailed after the transaction, so a slow mail server never holds the database.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from manuals.permissions import require

from ..roles import is_role
from . import csvimport, history, invites
from .models import Team
from .permissions import can_change_user, can_manage_people, can_set_admin_flags

User = get_user_model()

# The model's field names, as the forms and the CSV import call them.
FIELD_NAMES = {"first_name": "name", "last_name": "name"}


class PeopleError(ValidationError):
    """A change the rules refuse (deactivating oneself, the last superuser...)."""


def _clean(user, *, exclude=("password",)) -> None:
    """full_clean, with the errors keyed as our forms name the fields."""
    try:
        user.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise ValidationError(
            {FIELD_NAMES.get(k, k): v for k, v in error.message_dict.items()}
        ) from error


def _check_email_free(email: str, *, user=None) -> None:
    if not email:
        return
    others = User.objects.filter(email__iexact=email)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    taken = others.first()
    if taken is not None:
        raise ValidationError(
            {
                "email": _("%(email)s is already the address of %(user)s.")
                % {"email": email, "user": taken.get_username()}
            }
        )


def _check_groups(roles, groups) -> None:
    if any(not is_role(g) for g in roles) or any(is_role(g) for g in groups):
        raise ValidationError(_("Roles and restricted groups were mixed up."))


def _active_superusers():
    return User.objects.filter(is_superuser=True, is_active=True)


def _full_name(user) -> str:
    return user.get_full_name().strip()


def _set_name(user, name: str) -> None:
    # One name field: Chinese names are not split into first and last.
    user.first_name, user.last_name = name.strip(), ""


def _diff(before: Iterable, after: Iterable) -> tuple[list, list]:
    before, after = set(before), set(after)
    return list(after - before), list(before - after)


# --- accounts -------------------------------------------------------------------------


def _user_create(
    *,
    actor,
    username: str,
    name: str,
    email: str,
    roles,
    groups,
    teams,
    is_staff: bool,
    is_superuser: bool,
    via: str = "",
):
    require(can_manage_people(actor))
    if is_staff or is_superuser:
        require(can_set_admin_flags(actor))
    roles, groups, teams = list(roles), list(groups), list(teams)
    _check_groups(roles, groups)
    user = User(
        username=username.strip(),
        email=email.strip(),
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    _set_name(user, name)
    user.set_unusable_password()  # until they follow their link
    _clean(user)
    if User.objects.filter(username__iexact=user.username).exists():
        # Logging in is case-sensitive; telling "Li" from "li" apart is not.
        raise ValidationError(
            {"username": _("A user with that username already exists.")}
        )
    _check_email_free(user.email)
    user.save()
    user.groups.set([*roles, *groups])
    user.kb_teams.set(teams)
    detail = {
        "person_id": user.pk,
        "person": user.get_username(),
        "roles": history.names_of(roles),
        "groups": history.names_of(groups),
        "teams": history.names_of(teams),
    }
    if is_superuser:
        detail["superuser"] = True
    if is_staff:
        detail["staff"] = True
    if via:
        detail["via"] = via
    history.record("user_create", actor=actor, obj=user, **detail)
    return user


def user_create(
    *,
    actor,
    username: str,
    name: str = "",
    email: str = "",
    roles=(),
    groups=(),
    teams=(),
    is_staff: bool = False,
    is_superuser: bool = False,
    site_url: str,
    send_email: bool = True,
) -> invites.Invite:
    """Create an account without a password and return its set-password link
    (e-mailed to the user when they have an address and `send_email`)."""
    with transaction.atomic():
        user = _user_create(
            actor=actor,
            username=username,
            name=name,
            email=email,
            roles=roles,
            groups=groups,
            teams=teams,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
    invite = invites.make(user, site_url=site_url)
    return invites.send([invite])[0] if send_email else invite


def user_update(
    *,
    actor,
    user,
    name: str,
    email: str,
    roles,
    groups,
    teams,
    is_staff: bool | None = None,
    is_superuser: bool | None = None,
    via: str = "",
):
    """Change an account's name, address, roles, restricted groups and teams (and,
    for superusers, its staff and superuser flags: None leaves them)."""
    with transaction.atomic():
        require(can_change_user(actor, user))
        roles, groups, teams = list(roles), list(groups), list(teams)
        _check_groups(roles, groups)
        detail = {}
        old_name, old_email = _full_name(user), user.email
        _set_name(user, name)
        user.email = email.strip()
        if _full_name(user) != old_name:
            detail["name"] = [old_name, _full_name(user)]
        if user.email != old_email:
            detail["email"] = [old_email, user.email]
        for flag, value in (("is_staff", is_staff), ("is_superuser", is_superuser)):
            if value is None or value == getattr(user, flag):
                continue
            require(can_set_admin_flags(actor))
            if flag == "is_superuser" and not value:
                if user.is_active and _active_superusers().count() <= 1:
                    raise PeopleError(
                        _("%(user)s is the last active administrator.")
                        % {"user": user.get_username()}
                    )
            setattr(user, flag, value)
            detail[flag.removeprefix("is_")] = value
        _clean(user)
        _check_email_free(user.email, user=user)
        user.save()
        current = list(user.groups.all())
        for key, before, after in (
            ("roles", [g for g in current if is_role(g)], roles),
            ("groups", [g for g in current if not is_role(g)], groups),
            ("teams", list(user.kb_teams.all()), teams),
        ):
            added, removed = _diff(before, after)
            if added:
                detail[f"{key}_added"] = history.names_of(added)
            if removed:
                detail[f"{key}_removed"] = history.names_of(removed)
        user.groups.set([*roles, *groups])
        user.kb_teams.set(teams)
        if detail:
            if via:
                detail["via"] = via
            history.record(
                "user_update",
                actor=actor,
                obj=user,
                person_id=user.pk,
                person=user.get_username(),
                **detail,
            )
    return user


def user_set_active(*, actor, user, active: bool):
    """Deactivate (they can no longer log in) or reactivate an account. Nobody
    deactivates themself, and the last active superuser stays."""
    with transaction.atomic():
        require(can_change_user(actor, user))
        if user.is_active == active:
            return user
        if not active:
            if user.pk == actor.pk:
                raise PeopleError(_("You cannot deactivate your own account."))
            if user.is_superuser and _active_superusers().count() <= 1:
                raise PeopleError(
                    _("%(user)s is the last active administrator.")
                    % {"user": user.get_username()}
                )
        user.is_active = active
        user.save(update_fields=["is_active"])
        history.record(
            "user_reactivate" if active else "user_deactivate",
            actor=actor,
            obj=user,
            person_id=user.pk,
            person=user.get_username(),
        )
    return user


def user_password_reset(
    *, actor, user, site_url: str, send_email: bool = True
) -> invites.Invite:
    """The current password stops working (and every session and earlier link with
    it); the user sets a new one through the link returned."""
    with transaction.atomic():
        require(can_change_user(actor, user))
        if user.pk == actor.pk:
            raise PeopleError(_("You cannot reset your own password here."))
        if not user.is_active:
            raise PeopleError(_("Reactivate the account first."))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        history.record(
            "user_password_reset",
            actor=actor,
            obj=user,
            person_id=user.pk,
            person=user.get_username(),
        )
    invite = invites.make(user, site_url=site_url)
    return invites.send([invite], reset=True)[0] if send_email else invite


def user_password_set(*, form):
    """The user sets their password through their link (a SetPasswordForm)."""
    with transaction.atomic():
        user = form.save()
        history.record(
            "user_password_set",
            actor=user,
            obj=user,
            person_id=user.pk,
            person=user.get_username(),
        )
    return user


# --- teams ----------------------------------------------------------------------------


def _team_clean(team) -> None:
    team.name = team.name.strip()
    team.full_clean()


def team_create(*, actor, name: str, description: str = "", lead=None, members=()):
    with transaction.atomic():
        require(can_manage_people(actor))
        team = Team(name=name, description=description.strip(), lead=lead)
        _team_clean(team)
        team.save()
        members = list(members)
        team.members.set(members)
        history.record(
            "team_create",
            actor=actor,
            obj=team,
            team_id=team.pk,
            team=team.name,
            lead=[None, lead.get_username() if lead else None],
            members=history.names_of(members),
        )
    return team


def team_update(*, actor, team, name: str, description: str, lead, members):
    with transaction.atomic():
        require(can_manage_people(actor))
        detail = {}
        old_name, old_lead, old_description = team.name, team.lead, team.description
        team.name, team.description, team.lead = name, description.strip(), lead
        _team_clean(team)
        if team.name != old_name:
            detail["name"] = [old_name, team.name]
        if old_lead != lead:
            detail["lead"] = [
                old_lead.get_username() if old_lead else None,
                lead.get_username() if lead else None,
            ]
        if team.description != old_description:
            detail["description"] = True
        team.save()
        added, removed = _diff(team.members.all(), members)
        if added:
            detail["members_added"] = history.names_of(added)
        if removed:
            detail["members_removed"] = history.names_of(removed)
        team.members.set(list(members))
        if detail:
            history.record(
                "team_update",
                actor=actor,
                obj=team,
                team_id=team.pk,
                team=team.name,
                **detail,
            )
    return team


def team_delete(*, actor, team) -> None:
    """Delete a team: its members stay, they are just no longer in it."""
    with transaction.atomic():
        require(can_manage_people(actor))
        history.record(
            "team_delete",
            actor=actor,
            obj=team,
            team_id=team.pk,
            team=team.name,
            members=history.names_of(team.members.all()),
        )
        team.delete()


# --- the CSV import -------------------------------------------------------------------


@dataclass
class ImportResult:
    invites: list = field(default_factory=list)  # one per account created
    updated: list = field(default_factory=list)  # (user, what changed)
    skipped: list = field(default_factory=list)  # rows with errors

    @property
    def emailed(self) -> int:
        return sum(1 for i in self.invites if i.emailed)


def people_import_apply(
    *, actor, text: str, site_url: str, send_email: bool = True, filename: str = ""
) -> ImportResult:
    """Apply a CSV file (decoded text): create the new people without passwords,
    add roles and teams to those already here, skip the rows with errors. The file
    is planned again here: what the preview showed is not trusted."""
    result = ImportResult()
    with transaction.atomic():
        require(can_manage_people(actor))
        plan = csvimport.plan(text, actor=actor)
        teams = {t.name: t for t in Team.objects.all()}
        created = []
        for row in plan.rows:
            if row.errors:
                result.skipped.append(row)
                continue
            team = None
            if row.team:
                team = teams.get(row.team)
                if team is None:
                    team = teams[row.team] = team_create(actor=actor, name=row.team)
            if row.user is None:
                created.append(
                    _user_create(
                        actor=actor,
                        username=row.username,
                        name=row.name,
                        email=row.email,
                        roles=row.roles,
                        groups=[],
                        teams=[team] if team else [],
                        is_staff=False,
                        is_superuser=False,
                        via="import",
                    )
                )
            elif row.changes:
                user = row.user
                _import_update(actor=actor, user=user, row=row, team=team)
                result.updated.append((user, row.changes))
        history.record(
            "import",
            actor=actor,
            obj=filename or "CSV",
            created=len(created),
            updated=len(result.updated),
            skipped=len(result.skipped),
        )
    links = [invites.make(u, site_url=site_url) for u in created]
    result.invites = invites.send(links) if send_email else links
    return result


def _import_update(*, actor, user, row, team) -> None:
    """What a row adds to someone already here: never takes anything away."""
    require(can_change_user(actor, user))
    groups = list(user.groups.all())
    user_update(
        actor=actor,
        user=user,
        name=row.name or _full_name(user),
        email=row.email or user.email,
        roles=[g for g in groups if is_role(g)]
        + [r for r in row.roles if r not in groups],
        groups=[g for g in groups if not is_role(g)],
        teams={*user.kb_teams.all(), *([team] if team else [])},
        via="import",
    )
