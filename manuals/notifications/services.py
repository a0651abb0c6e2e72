"""Telling people: one `notify()` for every kind, watching, preferences, and the
outbox that e-mails and posts to team chats after commit.

`notify()` runs inside the caller's transaction: the notifications and their
deliveries commit or roll back with the change that caused them. Nothing here sends
anything: the worker (`manage.py worker`, started by `make run`) calls
`deliveries_send()` and `digests_send()`, so a slow or failing mail server or
webhook never slows or fails a save. Every recipient passes the subject's read rule
(`subjects.can_read`) before anything about the subject is written for them, and
again when an e-mail or a chat post is made.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import ngettext

from manuals.editing.services import publications_publish_due
from manuals.models import Block, Section
from manuals.sections.selectors import overdue_sections

from . import chat, subjects
from .messages import message_for
from .models import (
    ChatChannel,
    DailyRun,
    Delivery,
    EmailMode,
    Kind,
    Notification,
    Preference,
    Watch,
)

log = logging.getLogger(__name__)

# Retry a failed delivery after 1, 2, 4 ... minutes, at most 6 hours apart; give up
# (park it, visible in the admin) after this many attempts.
MAX_ATTEMPTS = 8
MAX_BACKOFF = datetime.timedelta(hours=6)


def backoff(attempts: int) -> datetime.timedelta:
    return min(datetime.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# Sending ------------------------------------------------------------------------


def notify(
    *,
    recipients: Iterable,
    kind: str,
    subject=None,
    text: str,
    url: str = "",
    actor=None,
) -> list[Notification]:
    """Tell each recipient who may read `subject` (never the actor themself).

    `text` is the subject's title or a short detail; the sentence around it is the
    kind's (see messages.py), in the reader's language when shown.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    seen, people = set(), []
    for user in recipients:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        if actor is not None and user.pk == actor.pk:
            continue
        if not user.is_active or not subjects.can_read(user, subject):
            continue
        people.append(user)
    if not people:
        return []
    content_type = (
        ContentType.objects.get_for_model(subject) if subject is not None else None
    )
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                content_type=content_type,
                object_id=subject.pk if subject is not None else None,
                text=text[:300],
                url=url[:500],
                actor=actor,
                created=now,
            )
            for user in people
        ]
    )
    if any(row.pk is None for row in rows):  # backends without RETURNING
        rows = list(
            Notification.objects.filter(
                recipient__in=people, kind=kind, created=now
            ).order_by("pk")
        )
    prefs = {
        p.user_id: p for p in Preference.objects.filter(user__in=[u.pk for u in people])
    }
    emails = []
    for row in rows:
        pref = prefs.get(row.recipient_id) or Preference(user_id=row.recipient_id)
        if (
            pref.email == EmailMode.IMMEDIATE
            and kind not in (pref.muted_kinds or [])
            and row.recipient.email
        ):
            emails.append(Delivery(channel=Delivery.Channel.EMAIL, notification=row))
    Delivery.objects.bulk_create(emails)
    return rows


def chat_post(*, kind: str, subject, text: str, url: str = "") -> int:
    """Queue a post to every active team channel set up for `kind` whose whole
    audience may read `subject` (and, for sections, under its chosen section)."""
    channels = [c for c in ChatChannel.objects.filter(active=True) if kind in c.kinds]
    if not channels:
        return 0
    content_type = ContentType.objects.get_for_model(subject)
    queued = []
    for channel in channels:
        if channel.section_id and not _under(subject, channel.section):
            continue
        if not _channel_may_read(channel, subject):
            continue
        queued.append(
            Delivery(
                channel=Delivery.Channel.CHAT,
                chat=channel,
                content_type=content_type,
                object_id=subject.pk,
                kind=kind,
                text=text[:300],
                url=url[:500],
            )
        )
    Delivery.objects.bulk_create(queued)
    return len(queued)


def _under(subject, root: Section) -> bool:
    if not isinstance(subject, Section):
        return False
    return subject.pk == root.pk or subject.path.startswith(root.path)


def channel_members(channel: ChatChannel):
    User = get_user_model()
    if channel.team_id:
        return User.objects.filter(kb_teams=channel.team_id, is_active=True)
    return User.objects.filter(groups=channel.group_id, is_active=True)


def _channel_may_read(channel: ChatChannel, subject) -> bool:
    """A channel is read by all its members: it may carry only what every one of
    them may read (and a channel with no members carries nothing)."""
    members = list(channel_members(channel))
    return bool(members) and all(subjects.can_read(u, subject) for u in members)


# Reading ------------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def preference_for(*, user) -> Preference:
    return Preference.objects.filter(user=user).first() or Preference(user=user)


@transaction.atomic
def preference_update(*, user, form) -> Preference:
    pref = form.save(commit=False)
    pref.user = user
    pref.muted_kinds = form.muted_kinds()
    pref.save()
    return pref


# Watching -----------------------------------------------------------------------


@transaction.atomic
def watch_set(
    *,
    user,
    section: Section | None = None,
    block: Block | None = None,
    watching: bool,
    subtree: bool = False,
) -> Watch:
    """Start or stop watching. An owner who stops watching keeps a row saying so
    (owners watch their sections without one)."""
    if (section is None) == (block is None):
        raise ValueError("watch a section or a block")
    lookup = (
        {"user": user, "section": section}
        if section
        else {"user": user, "block": block}
    )
    watch, _created = Watch.objects.update_or_create(
        **lookup, defaults={"active": watching, "subtree": subtree and watching}
    )
    return watch


def section_watchers(section: Section) -> list:
    """Who watches `section`: its own watchers, watchers of an ancestor's subtree,
    and its owner unless they stopped."""
    ancestors = [p for p in _ancestor_paths(section.path)]
    rows = Watch.objects.filter(
        Q(section=section) | Q(section__path__in=ancestors, subtree=True)
    ).select_related("user")
    explicit = {}
    for row in rows:
        # The watch on the section itself decides over an ancestor's subtree watch.
        if row.section_id == section.pk or row.user_id not in explicit:
            explicit[row.user_id] = row
    users = [w.user for w in explicit.values() if w.active]
    if section.owner_id and section.owner_id not in explicit:
        users.append(section.owner)
    return users


def _ancestor_paths(path: str) -> list[str]:
    step = Section.steplen
    return [path[:i] for i in range(step, len(path), step)]


def block_watchers(block: Block) -> list:
    return [
        w.user
        for w in Watch.objects.filter(block=block, active=True).select_related("user")
    ]


# Delivering (the worker) --------------------------------------------------------


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.KB_SITE_URL.rstrip("/") + url


def _due(now):
    return Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt__lte=now
    )


def deliveries_send(*, now=None, limit: int = 200) -> dict[str, int]:
    """Send what is due. Each delivery is its own attempt: one failing webhook or
    mail server is retried later with backoff and never stops the others."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "dropped": 0, "parked": 0}
    ids = list(_due(now).values_list("pk", flat=True)[:limit])
    for pk in ids:
        with transaction.atomic():
            delivery = (
                Delivery.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("notification__recipient", "chat")
                .filter(pk=pk, status=Delivery.Status.PENDING)
                .first()
            )
            if delivery is None:  # another worker took it
                continue
            outcome = _attempt(delivery, now)
            counts[outcome] += 1
    return counts


def _attempt(delivery: Delivery, now) -> str:
    try:
        if delivery.channel == Delivery.Channel.EMAIL:
            sent = _send_email(delivery)
        else:
            sent = _send_chat(delivery)
    except Exception as exc:  # noqa: BLE001 - any failure is retried, logged
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Delivery.Status.PARKED
            log.error("delivery %s given up: %s", delivery.pk, delivery.last_error)
            outcome = "parked"
        else:
            delivery.next_attempt = now + backoff(delivery.attempts)
            log.warning(
                "delivery %s failed (attempt %s), retrying at %s: %s",
                delivery.pk,
                delivery.attempts,
                delivery.next_attempt,
                delivery.last_error,
            )
            outcome = "failed"
        delivery.save()
        return outcome
    delivery.attempts += 1
    delivery.status = Delivery.Status.SENT if sent else Delivery.Status.DROPPED
    delivery.sent = now if sent else None
    delivery.save()
    return "sent" if sent else "dropped"


def _send_email(delivery: Delivery) -> bool:
    notification = delivery.notification
    user = notification.recipient
    # Read again at sending: the subject may have been restricted since.
    if not user.email or not subjects.can_read(user, notification.subject):
        return False
    with translation.override(settings.LANGUAGE_CODE):
        line = str(message_for(notification))
        send_mail(
            subject=f"[{settings.KB_SITE_NAME}] {line}"[:200],
            message=f"{line}\n\n{_absolute(notification.url)}\n",
            from_email=None,
            recipient_list=[user.email],
        )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


def _send_chat(delivery: Delivery) -> bool:
    channel = delivery.chat
    if channel is None or not channel.active:
        return False
    subject = None
    if delivery.content_type_id:
        model = delivery.content_type.model_class()
        subject = model._default_manager.filter(pk=delivery.object_id).first()
        if subject is None or not _channel_may_read(channel, subject):
            return False
    with translation.override(settings.LANGUAGE_CODE):
        line = str(message_for(Notification(kind=delivery.kind, text=delivery.text)))
    chat.post(channel, text=line, url=_absolute(delivery.url), kind=delivery.kind)
    return True


def digests_send(*, now=None) -> int:
    """One e-mail per person who asked for a daily digest, with what they have not
    read and were not e-mailed about yet (readable subjects only). Run daily."""
    now = now or timezone.now()
    User = get_user_model()
    # No preference row means the default: the daily digest.
    other_ids = set(
        Preference.objects.exclude(email=EmailMode.DAILY).values_list(
            "user_id", flat=True
        )
    )
    pending = Notification.objects.filter(
        read_at__isnull=True, emailed_at__isnull=True, created__lte=now
    )
    recipient_ids = set(pending.values_list("recipient_id", flat=True))
    sent = 0
    for user in User.objects.filter(pk__in=recipient_ids, is_active=True).exclude(
        email=""
    ):
        if user.pk in other_ids:
            continue
        pref = preference_for(user=user)
        muted = set(pref.muted_kinds or [])
        rows = [
            n
            for n in pending.filter(recipient=user).order_by("created")[:100]
            if n.kind not in muted and subjects.can_read(user, n.subject)
        ]
        if not rows:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            title = ngettext(
                "%(count)d new notification", "%(count)d new notifications", len(rows)
            ) % {"count": len(rows)}
            lines = [f"- {message_for(n)}\n  {_absolute(n.url)}" for n in rows]
            send_mail(
                subject=f"[{settings.KB_SITE_NAME}] {title}",
                message="\n".join(lines) + "\n",
                from_email=None,
                recipient_list=[user.email],
            )
        Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
        sent += 1
    return sent


def reviews_due_notify(*, today=None) -> int:
    """Tell each owner about their sections past the review-by date, once per
    review-by date (confirming the review sets a new date, and a new reminder)."""
    today = today or timezone.localdate()
    sent = 0
    owners = get_user_model().objects.filter(
        pk__in=Section.objects.filter(
            review_by__lt=today, in_trash=False, owner__isnull=False
        ).values("owner_id"),
        is_active=True,
    )
    section_type = ContentType.objects.get_for_model(Section)
    for owner in owners:
        for section in overdue_sections(owner, owner=owner, today=today):
            already = Notification.objects.filter(
                recipient=owner,
                kind=Kind.REVIEW_DUE,
                content_type=section_type,
                object_id=section.pk,
                created__date__gte=section.review_by,
            ).exists()
            if already:
                continue
            sent += len(
                notify(
                    recipients=[owner],
                    kind=Kind.REVIEW_DUE,
                    subject=section,
                    text=section.title,
                    url=section.get_absolute_url(),
                )
            )
    return sent


def daily_once(name: str, *, today=None) -> bool:
    """True the first time it is asked on a given day (per name), across workers."""
    today = today or timezone.localdate()
    with transaction.atomic():
        run, created = DailyRun.objects.select_for_update().get_or_create(
            name=name, defaults={"day": today}
        )
        if created:
            return True
        if run.day >= today:
            return False
        run.day = today
        run.save(update_fields=["day"])
        return True


def worker_round(*, now=None) -> dict[str, int]:
    """One round of the worker: publish what is due, send what is queued, and once a
    day (after KB_DIGEST_HOUR) the digests and the review reminders. Each part is
    isolated: one failing never stops the others."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    jobs = [("published", lambda: publications_publish_due(now=now))]
    local = timezone.localtime(now)
    if local.hour >= settings.KB_DIGEST_HOUR:
        jobs += [
            (
                "review reminders",
                lambda: (
                    reviews_due_notify(today=local.date())
                    if daily_once("reviews_due", today=local.date())
                    else 0
                ),
            ),
            (
                "digests",
                # Not `now`: the digest carries the reminders made just above.
                lambda: (
                    digests_send() if daily_once("digests", today=local.date()) else 0
                ),
            ),
        ]
    jobs.append(("delivered", lambda: deliveries_send(now=now)["sent"]))
    for name, job in jobs:
        try:
            done[name] = job()
        except Exception:  # noqa: BLE001 - isolate each job, report it, go on
            log.exception("worker: %s failed", name)
            done[name] = -1
    return done
