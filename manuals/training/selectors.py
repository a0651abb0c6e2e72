"""Who owes which confirmation, and where each asked person stands (reads).

Owing is computed, never stored: a person owes a section when a request names one
of their teams or groups and they have no confirmation at the section's current
material version. A confirmation of an older version is "outdated".
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr

from manuals.models import Section
from manuals.people.models import Team

from .models import Confirmation, ConfirmationRequest, PathAssignment, PathStep

User = get_user_model()

CONFIRMED, NOT_YET, OUTDATED = "confirmed", "not_yet", "outdated"


def requests_of(user):
    """The requests that name one of `user`'s teams or groups."""
    teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    return ConfirmationRequest.objects.filter(
        Q(team_id__in=teams) | Q(group_id__in=groups)
    )


def assignments_of(user):
    """The path assignments that reach `user`: theirs, their teams', their groups'
    (new members only when the assignment includes them), of active paths."""
    teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    joined = getattr(user, "date_joined", None)
    as_member = Q(team_id__in=teams) | Q(group_id__in=groups)
    if joined is not None:
        as_member &= Q(include_new_members=True) | Q(created__gte=joined)
    return PathAssignment.objects.filter(
        Q(user_id=user.pk) | as_member, path__active=True
    )


def _reading_steps(user):
    return PathStep.objects.filter(
        kind=PathStep.Kind.READING, path__assignments__in=assignments_of(user)
    )


def owed(user) -> dict[int, dict]:
    """{section id: {"since": the revision number last confirmed or None, "due":
    the earliest due date of the requests or None}} for what `user` owes, readable
    sections only: asked by a request, or a reading step of an assigned path, and
    not confirmed at the current material version. One query."""
    if not user.is_authenticated:
        return {}
    current = Confirmation.objects.filter(
        user_id=user.pk,
        section_id=OuterRef("pk"),
        material_version=OuterRef("material_version"),
    )
    last = (
        Confirmation.objects.filter(user_id=user.pk, section_id=OuterRef("pk"))
        .order_by("-created", "-pk")
        .values("revision_number")[:1]
    )
    due = (
        requests_of(user)
        .filter(section_id=OuterRef("pk"), due__isnull=False)
        .order_by("due")
        .values("due")[:1]
    )
    steps = _reading_steps(user)
    under = steps.filter(
        subtree=True,
        section__path=Substr(OuterRef("path"), 1, Length("section__path")),
    )
    rows = (
        Section.objects.visible_to(user)
        .filter(
            Q(pk__in=requests_of(user).values("section_id"))
            | Q(pk__in=steps.filter(subtree=False).values("section_id"))
            | Exists(under)
        )
        .exclude(Exists(current))
        .annotate(since=Subquery(last), due=Subquery(due))
        .order_by()
        .values_list("pk", "since", "due")
    )
    return {pk: {"since": since, "due": due} for pk, since, due in rows}


def asked(section: Section):
    """The active people any request of `section` asks (a queryset)."""
    requests = ConfirmationRequest.objects.filter(section=section)
    teams = requests.filter(team__isnull=False).values("team_id")
    groups = requests.filter(group__isnull=False).values("group_id")
    return User.objects.filter(
        Q(kb_teams__in=teams) | Q(groups__in=groups), is_active=True
    ).distinct()


def owing(*, section: Section, people=None, confirmed_before: bool = False) -> list:
    """Who of `people` (default: everyone asked) owes `section` now; with
    `confirmed_before`, only those whose confirmation a material change outdated."""
    section = Section.objects.get(pk=section.pk)  # the current material version
    qs = (
        asked(section)
        if people is None
        else User.objects.filter(pk__in=[p.pk for p in people])
    )
    current = Confirmation.objects.filter(
        user_id=OuterRef("pk"),
        section=section,
        material_version=section.material_version,
    )
    qs = qs.exclude(Exists(current))
    if confirmed_before:
        qs = qs.filter(
            Exists(Confirmation.objects.filter(user_id=OuterRef("pk"), section=section))
        )
    return list(qs)


@dataclass
class PersonStatus:
    user: object
    status: str  # CONFIRMED, NOT_YET or OUTDATED
    confirmation: Confirmation | None  # the newest one
    due: object  # the earliest due date of the requests that ask them


def section_status(section: Section) -> list[PersonStatus]:
    """Everyone asked to confirm `section`, with where they stand; a few queries."""
    section = Section.objects.get(pk=section.pk)
    requests = list(
        ConfirmationRequest.objects.filter(section=section).select_related("team")
    )
    team_due, group_due = {}, {}
    for request in requests:
        target, ident = (
            (team_due, request.team_id)
            if request.team_id
            else (group_due, request.group_id)
        )
        if ident not in target or (
            request.due and (target[ident] is None or request.due < target[ident])
        ):
            target[ident] = request.due
    people = list(
        asked(section).prefetch_related("kb_teams", "groups").order_by("username")
    )
    newest = {}
    for confirmation in Confirmation.objects.filter(
        section=section, user__in=[p.pk for p in people]
    ).order_by("created", "pk"):
        newest[confirmation.user_id] = confirmation
    rows = []
    for person in people:
        dues = [team_due[t.pk] for t in person.kb_teams.all() if t.pk in team_due]
        dues += [group_due[g.pk] for g in person.groups.all() if g.pk in group_due]
        dues = [d for d in dues if d]
        confirmation = newest.get(person.pk)
        if confirmation is None:
            status = NOT_YET
        elif confirmation.material_version >= section.material_version:
            status = CONFIRMED
        else:
            status = OUTDATED
        rows.append(PersonStatus(person, status, confirmation, min(dues, default=None)))
    return rows
