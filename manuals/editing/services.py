"""Editing together: autosaved drafts, presence, review requests, scheduled publishing
and review-by confirmations. Like services.py, every function here is one transaction
with its permission check and audit entry."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, permissions
from ..models import (
    AuditEntry,
    Draft,
    EditPresence,
    ReviewRequest,
    Revision,
    ScheduledPublication,
    Section,
)
from ..permissions import require
from ..sections.services import default_review_by, revision_publish
from ..signals import review_decided, review_requested

Action = AuditEntry.Action
PRESENCE_TIMEOUT = datetime.timedelta(seconds=60)


def conflict_message() -> str:
    """What an editor reads when their save overlaps someone else's."""
    return _(
        "Someone else changed the same lines since you started. Your text is below "
        "with both versions marked; resolve the marked parts and save."
    )


# Drafts -------------------------------------------------------------------------


def draft_autosave(
    *, section: Section, user, title: str, body: str, base: Revision | None
) -> Draft:
    """Keep what the editor has typed so far; one autosave per user and section."""
    require(permissions.can_edit(user, section))
    draft, _created = Draft.objects.update_or_create(
        section=section,
        user=user,
        kind=Draft.Kind.AUTOSAVE,
        defaults={"title": title[:200], "body": body, "base": base},
    )
    return draft


def draft_pending(*, section: Section, user) -> Draft | None:
    """The user's newest unsaved text for the section (conflict drafts first)."""
    drafts = Draft.objects.filter(section=section, user=user)
    return (
        drafts.filter(kind=Draft.Kind.CONFLICT).first()
        or drafts.filter(kind=Draft.Kind.AUTOSAVE).first()
    )


def drafts_discard(*, section: Section, user) -> int:
    return Draft.objects.filter(section=section, user=user).delete()[0]


# Presence -----------------------------------------------------------------------


def presence_heartbeat(*, section: Section, user) -> list[str]:
    """Record that `user` has the editor open; return who else does, by username."""
    require(permissions.can_edit(user, section))
    now = timezone.now()
    EditPresence.objects.update_or_create(
        section=section, user=user, defaults={"last_seen": now}
    )
    return presence_others(section=section, user=user, now=now)


def presence_others(*, section: Section, user, now=None) -> list[str]:
    now = now or timezone.now()
    return list(
        EditPresence.objects.filter(
            section=section, last_seen__gte=now - PRESENCE_TIMEOUT
        )
        .exclude(user=user)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def presence_leave(*, section: Section, user) -> None:
    EditPresence.objects.filter(section=section, user=user).delete()


# Review -------------------------------------------------------------------------


@transaction.atomic
def review_submit(
    *, section: Section, revision: Revision, user, note: str = ""
) -> ReviewRequest:
    """An editor asks a publisher to review and publish `revision`."""
    require(permissions.can_edit(user, section))
    if revision.section_id != section.pk:
        raise ValidationError(_("That revision belongs to another section."))
    # One open request per section: a newer revision replaces the older request.
    ReviewRequest.objects.filter(
        section=section, status=ReviewRequest.Status.PENDING
    ).update(
        status=ReviewRequest.Status.CHANGES_REQUESTED,
        comment=_("Replaced by a newer revision."),
        decided_at=timezone.now(),
    )
    review = ReviewRequest.objects.create(
        section=section, revision=revision, requested_by=user, note=note[:500]
    )
    audit.record(
        Action.REVIEW_SUBMIT, user=user, section=section, revision=revision.number
    )
    review_requested.send(sender=ReviewRequest, review=review)
    return review


@transaction.atomic
def review_decide(
    *, review: ReviewRequest, user, approve: bool, comment: str = ""
) -> ReviewRequest:
    """Approve (which publishes the revision) or request changes, with a comment."""
    require(permissions.can_publish(user))
    review = ReviewRequest.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewRequest.Status.PENDING:
        raise ValidationError(_("This review has already been decided."))
    if not approve and not comment.strip():
        raise ValidationError(_("Say what needs to change."))
    review.status = (
        ReviewRequest.Status.APPROVED
        if approve
        else ReviewRequest.Status.CHANGES_REQUESTED
    )
    review.reviewer = user
    review.comment = comment.strip()
    review.decided_at = timezone.now()
    review.save()
    audit.record(
        Action.REVIEW_APPROVE if approve else Action.REVIEW_CHANGES,
        user=user,
        section=review.section,
        revision=review.revision.number,
        comment=review.comment,
    )
    if approve:
        revision_publish(section=review.section, revision=review.revision, user=user)
    review_decided.send(sender=ReviewRequest, review=review)
    return review


# Scheduled publishing -----------------------------------------------------------


@transaction.atomic
def publication_schedule(
    *, section: Section, revision: Revision, user, publish_at: datetime.datetime
) -> ScheduledPublication:
    require(permissions.can_publish(user))
    if revision.section_id != section.pk:
        raise ValidationError(_("That revision belongs to another section."))
    if publish_at <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    ScheduledPublication.objects.filter(section=section, done_at__isnull=True).delete()
    scheduled = ScheduledPublication.objects.create(
        section=section, revision=revision, publish_at=publish_at, scheduled_by=user
    )
    audit.record(
        Action.SCHEDULE,
        user=user,
        section=section,
        revision=revision.number,
        publish_at=publish_at.isoformat(),
    )
    return scheduled


def publications_publish_due(*, section: Section | None = None, now=None) -> int:
    """Publish every scheduled revision whose time has come; returns how many.

    Run by `manage.py publish_scheduled`: from cron, or as a worker (`--every`),
    which `make run` starts beside the development server. Reading a section never
    publishes: the read path takes no write locks.
    """
    now = now or timezone.now()
    due = ScheduledPublication.objects.filter(done_at__isnull=True, publish_at__lte=now)
    if section is not None:
        due = due.filter(section=section)
    count = 0
    for item in due.select_related("section", "revision", "scheduled_by"):
        with transaction.atomic():
            # Claim the row first so two processes never publish it twice.
            claimed = ScheduledPublication.objects.filter(
                pk=item.pk, done_at__isnull=True
            ).update(done_at=now)
            if not claimed:
                continue
            publisher = item.scheduled_by
            if publisher is None or not permissions.can_publish(publisher):
                continue
            revision_publish(
                section=item.section, revision=item.revision, user=publisher
            )
            count += 1
    return count


# Review-by dates ----------------------------------------------------------------


@transaction.atomic
def section_mark_reviewed(*, section: Section, user) -> Section:
    """The owner (or an editor) confirms the section is still correct."""
    require(permissions.can_edit(user, section))
    section = Section.objects.get(pk=section.pk)
    section.last_reviewed_at = timezone.now()
    section.last_reviewed_by = user
    section.review_by = default_review_by(section.kind)
    section.save(update_fields=["last_reviewed_at", "last_reviewed_by", "review_by"])
    audit.record(
        Action.REVIEWED,
        user=user,
        section=section,
        next_review=section.review_by.isoformat(),
    )
    return section
