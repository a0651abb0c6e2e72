"""Requesting and giving read confirmations (writes), and what the audit log says
about them."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from manuals import audit, permissions
from manuals.audit import Described
from manuals.models import AuditEntry, Section
from manuals.notifications.models import Kind
from manuals.notifications.services import notify
from manuals.permissions import require

from .models import (
    Confirmation,
    ConfirmationRequest,
    LearningPath,
    PathAssignment,
    PathStep,
)
from .selectors import owing

User = get_user_model()


def can_manage_training(user) -> bool:
    return user.is_active and (
        user.is_superuser or user.has_perm("training.manage_training")
    )


def can_request(user, section: Section) -> bool:
    """The section's owner, trainers and admins, for a section they may read."""
    if not user.is_authenticated or not user.is_active:
        return False
    allowed = can_manage_training(user) or section.owner_id == user.pk
    return allowed and permissions.can_read(user, section)


def members(*, team=None, group=None):
    """The active people a request of `team` or `group` asks."""
    if team is not None:
        return team.members.filter(is_active=True)
    return User.objects.filter(groups=group, is_active=True)


def unable_to_read(section: Section, people) -> list:
    """Who among `people` may not read `section` (the ancestors read once)."""
    ancestors = list(Section.objects.get_ancestors(section).prefetch_related("groups"))
    return [
        person
        for person in people
        if not permissions.can_read(person, section, ancestors=ancestors)
    ]


@transaction.atomic
def confirmation_request(
    *,
    section: Section,
    user,
    team=None,
    group=None,
    due: datetime.date | None = None,
    note: str = "",
) -> ConfirmationRequest:
    """Ask everyone in `team` or `group` to confirm `section`; refused when any of
    them could not read it (saying how many), so a request never asks the
    impossible and its notifications never name what someone may not see."""
    require(can_request(user, section))
    if (team is None) == (group is None):
        raise ValidationError(_("Choose a team or a group."))
    if section.published_revision_id is None:
        raise ValidationError(_("Only a published section can be confirmed."))
    people = list(members(team=team, group=group).prefetch_related("groups"))
    blocked = unable_to_read(section, people)
    if blocked:
        raise ValidationError(
            ngettext(
                "%(count)d person in it cannot read this section. Share the section "
                "with them first, or choose another team or group.",
                "%(count)d people in it cannot read this section. Share the section "
                "with them first, or choose another team or group.",
                len(blocked),
            )
            % {"count": len(blocked)}
        )
    request = ConfirmationRequest(
        section=section,
        team=team,
        group=group,
        due=due,
        note=note.strip()[:500],
        created_by=user,
    )
    request.full_clean()
    request.save()
    # The audit entry also moves the change stamp: every reader's bar is recomputed.
    audit.record(
        AuditEntry.Action.TRAINING,
        user=user,
        section=section,
        event="request",
        audience=request.audience_name,
        due=due.isoformat() if due else "",
    )
    notify(
        recipients=owing(section=section, people=people),
        kind=Kind.CONFIRMATION_REQUESTED,
        subject=section,
        text=section.title,
        url=section.get_absolute_url(),
        actor=user,
    )
    return request


@transaction.atomic
def confirmation_give(*, section: Section, user, source: str = "page") -> Confirmation:
    """`user` has read and understood the published text of `section`."""
    require(user.is_authenticated and permissions.can_read(user, section))
    section = Section.objects.select_related("published_revision").get(pk=section.pk)
    revision = section.published_revision
    if revision is None:
        raise ValidationError(_("Only a published section can be confirmed."))
    confirmation = Confirmation(
        user=user,
        section=section,
        revision=revision,
        revision_number=revision.number,
        material_version=section.material_version,
        source=source,
    )
    confirmation.full_clean(exclude=["user", "section", "revision"])
    confirmation.save()
    return confirmation


def reconfirm_notify(*, section_ids, user=None) -> None:
    """After a material change: tell those who had confirmed and owe it again."""
    for section in Section.objects.filter(pk__in=section_ids, in_trash=False):
        notify(
            recipients=owing(section=section, confirmed_before=True),
            kind=Kind.RECONFIRM,
            subject=section,
            text=section.title,
            url=section.get_absolute_url(),
            actor=user,
        )


def describe(entry: AuditEntry) -> Described:
    detail = entry.detail
    what = {
        "user": entry.username or _("Someone"),
        "audience": detail.get("audience", "?"),
        "section": entry.object_repr,
        "path": detail.get("path", "?"),
    }
    if detail.get("event") == "path":
        return Described(sentence=_("%(user)s changed the path “%(path)s”") % what)
    if detail.get("event") == "assign":
        sentence = _("%(user)s assigned the path “%(path)s” to %(audience)s")
        return Described(sentence=sentence % what)
    sentence = _("%(user)s asked %(audience)s to confirm “%(section)s”") % what
    details = []
    if detail.get("due"):
        details.append(_("Due %(date)s") % {"date": detail["due"]})
    return Described(sentence=sentence, details=details)


# --- learning paths -------------------------------------------------------------


@transaction.atomic
def path_create(*, user, name: str, level: str, description: str = "") -> LearningPath:
    require(can_manage_training(user))
    path = LearningPath(
        name=name.strip(), level=level, description=description, created_by=user
    )
    path.full_clean()
    path.save()
    _record(user, "path", path=path.name)
    return path


@transaction.atomic
def path_update(
    *, path: LearningPath, user, name: str, level: str, description: str, active: bool
) -> LearningPath:
    require(can_manage_training(user))
    path.name, path.level, path.description, path.active = (
        name.strip(),
        level,
        description,
        active,
    )
    path.full_clean()
    path.save()
    _record(user, "path", path=path.name)
    return path


@transaction.atomic
def step_add(
    *,
    path: LearningPath,
    user,
    section: Section,
    subtree: bool = False,
    minutes: int = 0,
    prerequisite: PathStep | None = None,
    min_dwell_seconds: int = 0,
) -> PathStep:
    """Add a reading step at the end. People the path is assigned to who could not
    read the section make it refused, as assigning would be."""
    require(can_manage_training(user) and permissions.can_read(user, section))
    if prerequisite is not None and prerequisite.path_id != path.pk:
        raise ValidationError(_("The step to follow must be in the same path."))
    blocked = unable_to_read(section, assigned_people(path))
    if blocked:
        raise ValidationError(_blocked_message(len(blocked)))
    last = path.steps.order_by("-order").values_list("order", flat=True).first()
    step = PathStep(
        path=path,
        order=(last or 0) + 1,
        kind=PathStep.Kind.READING,
        section=section,
        subtree=subtree,
        minutes=minutes,
        prerequisite=prerequisite,
        min_dwell_seconds=min_dwell_seconds,
    )
    step.full_clean()
    step.save()
    _record(user, "path", path=path.name, section=section)
    return step


@transaction.atomic
def step_remove(*, step: PathStep, user) -> None:
    """Confirmations stay: they are records of reading, not of the path."""
    require(can_manage_training(user))
    path = step.path
    step.delete()
    _record(user, "path", path=path.name)


def assigned_people(path: LearningPath) -> list:
    """Everyone an assignment of `path` reaches now."""
    people = {}
    for assignment in path.assignments.select_related("team", "group", "user"):
        for person in assignment_people(assignment):
            people[person.pk] = person
    return list(people.values())


def assignment_people(assignment: PathAssignment):
    if assignment.user_id:
        return [assignment.user] if assignment.user.is_active else []
    qs = members(team=assignment.team, group=assignment.group)
    if not assignment.include_new_members:
        qs = qs.filter(date_joined__lte=assignment.created)
    return list(qs.prefetch_related("groups"))


def _blocked_message(count: int) -> str:
    return ngettext(
        "%(count)d person it is assigned to cannot read a step of this path.",
        "%(count)d people it is assigned to cannot read a step of this path.",
        count,
    ) % {"count": count}


@transaction.atomic
def path_assign(
    *,
    path: LearningPath,
    user,
    team=None,
    group=None,
    person=None,
    due: datetime.date | None = None,
    due_days: int | None = None,
    include_new_members: bool = True,
) -> PathAssignment:
    """Give `path` to a team, a group or a person; refused, saying how many, when
    someone it would reach cannot read one of its steps."""
    require(can_manage_training(user))
    if sum(x is not None for x in (team, group, person)) != 1:
        raise ValidationError(_("Choose a team, a group or a person."))
    assignment = PathAssignment(
        path=path,
        team=team,
        group=group,
        user=person,
        due=due,
        due_days=due_days,
        include_new_members=include_new_members,
        created_by=user,
    )
    people = assignment_people(assignment)
    blocked = set()
    for step in path.steps.filter(section__isnull=False).select_related("section"):
        blocked.update(p.pk for p in unable_to_read(step.section, people))
    if blocked:
        raise ValidationError(_blocked_message(len(blocked)))
    assignment.full_clean()
    assignment.save()
    _record(user, "assign", path=path.name, audience=assignment.audience_name)
    notify(
        recipients=people,
        kind=Kind.PATH_ASSIGNED,
        subject=None,
        text=path.name,
        url=reverse("training:mine"),
        actor=user,
    )
    return assignment


def _record(user, event: str, *, section: Section | None = None, **detail) -> None:
    # Training changes move the change stamp too: readers' bars are recomputed.
    audit.record(
        AuditEntry.Action.TRAINING, user=user, section=section, event=event, **detail
    )
