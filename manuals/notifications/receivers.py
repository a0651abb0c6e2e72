"""Listens to the manual's signals and turns them into notifications.

Each receiver runs inside the transaction of the change (the signals are sent
there), so notifications and their deliveries commit with it. A receiver that fails
must never fail an editor's save: errors are logged and swallowed (`_guarded`).
"""

import functools
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils.http import urlencode

from manuals.models import Block, ReviewRequest, Section, SectionVisit
from manuals.signals import (
    blocks_published,
    review_decided,
    review_requested,
    section_published,
)

from . import services
from .models import Kind

log = logging.getLogger(__name__)


def _guarded(func):
    """Telling people is never worth losing the change: a failure here is logged,
    and rolled back to a savepoint so the caller's transaction goes on."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except Exception:  # noqa: BLE001
            log.exception("notifications: %s failed; the change is kept", func.__name__)
            return None

    return wrapper


def publishers():
    """Everyone who may publish sections (via a group or their own permissions)."""
    perm = Q(
        groups__permissions__codename="publish_section",
        groups__permissions__content_type__app_label="manuals",
    ) | Q(
        user_permissions__codename="publish_section",
        user_permissions__content_type__app_label="manuals",
    )
    return get_user_model().objects.filter(perm, is_active=True).distinct()


@receiver(review_requested, dispatch_uid="kb-notify-review-requested")
@_guarded
def on_review_requested(sender, review: ReviewRequest, **kwargs):
    section = review.section
    services.notify(
        recipients=publishers(),
        kind=Kind.REVIEW_REQUESTED,
        subject=section,
        text=review.revision.title,
        url=reverse("manuals:review", kwargs={"review_pk": review.pk}),
        actor=review.requested_by,
    )


@receiver(review_decided, dispatch_uid="kb-notify-review-decided")
@_guarded
def on_review_decided(sender, review: ReviewRequest, **kwargs):
    approved = review.status == ReviewRequest.Status.APPROVED
    services.notify(
        recipients=[review.requested_by],
        kind=Kind.REVIEW_APPROVED if approved else Kind.REVIEW_CHANGES,
        subject=review.section,
        text=review.revision.title,
        url=review.section.get_absolute_url()
        if approved
        else reverse("manuals:review", kwargs={"review_pk": review.pk}),
        actor=review.reviewer,
    )


def changes_url(section: Section, since: int | None) -> str:
    """The reader-facing diff from revision `since` to what is published now."""
    if not since:
        return section.get_absolute_url()
    url = reverse("manuals:changes", kwargs={"pk": section.pk})
    return f"{url}?{urlencode({'since': since})}"


@receiver(section_published, dispatch_uid="kb-notify-section-published")
@_guarded
def on_section_published(sender, section, revision, previous, user, **kwargs):
    if revision.minor:
        return  # a typo fix tells nobody
    watchers = services.section_watchers(section)
    if watchers:
        seen = dict(
            SectionVisit.objects.filter(
                section=section, user__in=[u.pk for u in watchers]
            ).values_list("user_id", "revision__number")
        )
        for watcher in watchers:
            since = seen.get(watcher.pk) or (previous.number if previous else None)
            if since is not None and since >= revision.number:
                since = previous.number if previous else None
            services.notify(
                recipients=[watcher],
                kind=Kind.SECTION_CHANGED,
                subject=section,
                text=revision.title,
                url=changes_url(section, since),
                actor=user,
            )
    services.chat_post(
        kind=Kind.SECTION_CHANGED,
        subject=section,
        text=revision.title,
        url=changes_url(section, previous.number if previous else None),
    )


@receiver(blocks_published, dispatch_uid="kb-notify-block-published")
@_guarded
def on_block_published(sender, block: Block, revision=None, user=None, **kwargs):
    if revision is not None and revision.minor:
        return
    services.notify(
        recipients=services.block_watchers(block),
        kind=Kind.BLOCK_CHANGED,
        subject=block,
        text=block.title,
        url=block.get_absolute_url(),
        actor=user,
    )
    services.chat_post(
        kind=Kind.BLOCK_CHANGED,
        subject=block,
        text=block.title,
        url=block.get_absolute_url(),
    )
