"""Requesting and giving read confirmations (writes), and what the audit log says
about them."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from manuals import audit, permissions
from manuals.audit import Described
from manuals.models import AuditEntry, Section
from manuals.notifications.models import Kind
from manuals.notifications.services import notify
from manuals.permissions import require

from .models import Confirmation, ConfirmationRequest
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
    sentence = _("%(user)s asked %(audience)s to confirm “%(section)s”") % {
        "user": entry.username or _("Someone"),
        "audience": detail.get("audience", "?"),
        "section": entry.object_repr,
    }
    details = []
    if detail.get("due"):
        details.append(_("Due %(date)s") % {"date": detail["due"]})
    return Described(sentence=sentence, details=details)
