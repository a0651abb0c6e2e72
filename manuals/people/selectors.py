"""Reads of people and teams for the managers' screens."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q

from manuals.models import AuditEntry

from ..roles import ROLE_NAMES
from .models import Team

User = get_user_model()

ACTIVE, INACTIVE, ANY = "active", "inactive", "all"
NO_ROLE = "none"


def user_list(
    *, q: str = "", role: str = "", group=None, team=None, status: str = ACTIVE
):
    """People matching a search (name, username, e-mail) and filters, with their
    groups and teams read along."""
    users = User.objects.prefetch_related(
        "groups", Prefetch("kb_teams", queryset=Team.objects.order_by("name"))
    ).order_by("username")
    for word in q.split():
        users = users.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    if role == NO_ROLE:
        users = users.exclude(groups__name__in=ROLE_NAMES)
    elif role:
        users = users.filter(groups__name=role)
    if group is not None:
        users = users.filter(groups=group)
    if team is not None:
        users = users.filter(kb_teams=team)
    if status == ACTIVE:
        users = users.filter(is_active=True)
    elif status == INACTIVE:
        users = users.filter(is_active=False)
    return users.distinct()


def user_choices():
    """Everyone a team may have as lead or member, active people first."""
    return User.objects.order_by("-is_active", "username")


def team_list():
    return Team.objects.select_related("lead").annotate(
        member_count=Count("members", distinct=True)
    )


def team_members(team):
    return team.members.order_by("username")


def team_dependents(team) -> list[tuple[str, int]]:
    """What else goes when `team` is deleted (other apps' rows that cascade, such
    as team chat channels): (their name, how many)."""
    found = []
    for relation in Team._meta.related_objects:
        if relation.many_to_many or relation.on_delete.__name__ != "CASCADE":
            continue
        count = relation.related_model._default_manager.filter(
            **{relation.field.name: team}
        ).count()
        if count:
            found.append((str(relation.related_model._meta.verbose_name_plural), count))
    return found


def activity(*, user=None, team=None):
    """The audit entries about people and teams, newest first; about one user or
    one team when given."""
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.PEOPLE)
    if user is not None:
        entries = entries.filter(detail__person_id=user.pk)
    if team is not None:
        entries = entries.filter(detail__team_id=team.pk)
    return entries.order_by("-created", "-pk")
