"""Who owes which confirmation, and where each asked person stands (reads).

Owing is computed, never stored: a person owes a section when a request names one
of their teams or groups and they have no confirmation at the section's current
material version. A confirmation of an older version is "outdated".
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone

from manuals import permissions
from manuals.models import Section
from manuals.people.models import Team

from .models import (
    Confirmation,
    ConfirmationRequest,
    LearningPath,
    PathAssignment,
    PathStep,
)

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


# --- learning paths -------------------------------------------------------------

DONE, READ_AGAIN, TODO, LOCKED = "done", "read_again", "todo", "locked"


@dataclass
class StepProgress:
    step: PathStep
    state: str  # DONE, READ_AGAIN, TODO or LOCKED (its prerequisite is not done)
    sections: list  # the readable sections the step asks to confirm
    todo: list  # those not confirmed at their current meaning


@dataclass
class PathProgress:
    path: LearningPath
    due: date | None
    steps: list[StepProgress]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.state == DONE)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def overdue(self) -> bool:
        return bool(self.due and not self.complete and self.due < timezone.localdate())

    @property
    def next_step(self) -> StepProgress | None:
        return next((s for s in self.steps if s.state in (TODO, READ_AGAIN)), None)

    @property
    def minutes_left(self) -> int:
        return sum(s.step.minutes for s in self.steps if s.state != DONE)


def due_for(assignment: PathAssignment, user) -> date | None:
    """An absolute date, or N days after the person joined (or after the
    assignment, for those who joined before it), in the site's time zone."""
    if assignment.due:
        return assignment.due
    if assignment.due_days is None:
        return None
    start = max(user.date_joined, assignment.created)
    return timezone.localdate(start) + timedelta(days=assignment.due_days)


def my_training(user) -> list[PathProgress]:
    """The paths assigned to `user` with their progress, derived from their
    confirmations (a path edited after assignment keeps what was done); steps
    pointing to sections they may not read are not shown. A few queries."""
    if not user.is_authenticated:
        return []
    assignments = list(assignments_of(user).select_related("path"))
    if not assignments:
        return []
    due_by_path: dict[int, date | None] = {}
    paths = {}
    for assignment in assignments:
        paths[assignment.path_id] = assignment.path
        due = due_for(assignment, user)
        known = due_by_path.get(assignment.path_id)
        due_by_path[assignment.path_id] = (
            due if known is None else (min(known, due) if due else known)
        )
    steps = list(
        PathStep.objects.filter(path_id__in=paths, kind=PathStep.Kind.READING)
        .select_related("section")
        .order_by("path", "order", "pk")
    )
    visible = Section.objects.visible_to(user)
    roots = [s.section for s in steps if s.section_id]
    tree_q = Q(pk__in=[r.pk for r in roots])
    for step in steps:
        if step.subtree and step.section_id:
            tree_q |= Q(path__startswith=step.section.path)
    readable = {
        s.pk: s
        for s in visible.filter(tree_q).only(
            "pk", "path", "title", "slug", "material_version"
        )
    }
    confirmed = {}
    for section_id, version in Confirmation.objects.filter(
        user_id=user.pk, section_id__in=readable
    ).values_list("section_id", "material_version"):
        confirmed[section_id] = max(version, confirmed.get(section_id, 0))
    result = []
    for path_id, path in paths.items():
        progress, state_of = [], {}
        for step in (s for s in steps if s.path_id == path_id):
            if step.section_id not in readable:
                continue  # restricted since, or trashed: not theirs to see
            if step.subtree:
                sections = sorted(
                    (
                        s
                        for s in readable.values()
                        if s.path.startswith(step.section.path)
                    ),
                    key=lambda s: s.path,
                )
            else:
                sections = [readable[step.section_id]]
            todo = [s for s in sections if confirmed.get(s.pk, -1) < s.material_version]
            outdated = [s for s in todo if s.pk in confirmed]
            if not todo:
                state = DONE
            elif state_of.get(step.prerequisite_id, DONE) != DONE:
                state = LOCKED
            elif len(outdated) == len(todo):
                state = READ_AGAIN
            else:
                state = TODO
            state_of[step.pk] = state
            progress.append(StepProgress(step, state, sections, todo))
        result.append(PathProgress(path, due_by_path[path_id], progress))
    result.sort(key=lambda p: (p.complete, p.due or date.max, p.path.name))
    return result


@dataclass
class PersonPathRow:
    user: object
    done: int
    total: int
    due: date | None

    @property
    def overdue(self) -> bool:
        return bool(
            self.due and self.done < self.total and self.due < timezone.localdate()
        )


def path_report(path: LearningPath) -> list[PersonPathRow]:
    """Everyone `path` is assigned to, with how many of the steps they may read
    they have done: the sections and their ancestors read once, the confirmations
    of everyone in one query, each person's permissions once."""
    assignments = list(path.assignments.select_related("team", "group", "user"))
    people, dues = {}, {}
    for assignment in assignments:
        if assignment.user_id:
            found = [assignment.user] if assignment.user.is_active else []
        else:
            qs = (
                assignment.team.members.filter(is_active=True)
                if assignment.team_id
                else User.objects.filter(groups=assignment.group, is_active=True)
            )
            if not assignment.include_new_members:
                qs = qs.filter(date_joined__lte=assignment.created)
            found = list(qs)
        for person in found:
            people[person.pk] = person
            due = due_for(assignment, person)
            if due and (dues.get(person.pk) is None or due < dues[person.pk]):
                dues[person.pk] = due
    steps = [
        s
        for s in path.steps.filter(kind=PathStep.Kind.READING).select_related("section")
        if s.section_id
    ]
    tree_q = Q(pk__in=[s.section_id for s in steps])
    for step in steps:
        if step.subtree:
            tree_q |= Q(path__startswith=step.section.path)
    sections = list(
        Section.objects.filter(tree_q, in_trash=False).prefetch_related("groups")
    )
    steplen = Section.steplen
    ancestor_paths = {
        s.path[:end] for s in sections for end in range(steplen, len(s.path), steplen)
    }
    ancestors = {
        a.path: a
        for a in Section.objects.filter(path__in=ancestor_paths).prefetch_related(
            "groups"
        )
    }
    confirmed: dict[tuple[int, int], int] = {}
    for user_id, section_id, version in Confirmation.objects.filter(
        user_id__in=people, section__in=sections
    ).values_list("user_id", "section_id", "material_version"):
        key = (user_id, section_id)
        confirmed[key] = max(version, confirmed.get(key, 0))
    rows = []
    for person in sorted(people.values(), key=lambda p: p.get_username()):
        readable = [
            s
            for s in sections
            if permissions.can_read(
                person,
                s,
                ancestors=[
                    ancestors[s.path[:end]]
                    for end in range(steplen, len(s.path), steplen)
                    if s.path[:end] in ancestors
                ],
            )
        ]
        by_pk = {s.pk: s for s in readable}
        done = total = 0
        for step in steps:
            if step.section_id not in by_pk:
                continue
            mine = (
                [s for s in readable if s.path.startswith(step.section.path)]
                if step.subtree
                else [by_pk[step.section_id]]
            )
            total += 1
            if all(
                confirmed.get((person.pk, s.pk), -1) >= s.material_version for s in mine
            ):
                done += 1
        rows.append(PersonPathRow(person, done, total, dues.get(person.pk)))
    return rows
