"""Operations that change feedback and analytics state: surveys, triage, gaps,
event recording, rollup and pruning. Views, receivers and commands call these."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from manuals.audience import Audience as ReaderAudience
from manuals.cache import key as cache_key
from manuals.models import Revision, Section
from manuals.notifications.models import Kind
from manuals.notifications.services import notify
from manuals.permissions import require

from . import events
from .models import (
    ArticleFeedback,
    Audience,
    DailySearchStats,
    DailySectionStats,
    Gap,
    GapKind,
    PageView,
    RollupState,
    SearchEvent,
    Status,
)
from .permissions import can_triage

User = get_user_model()
CLICK_WINDOW = dt.timedelta(minutes=30)


class RateLimited(PermissionDenied):
    """An anonymous visitor sent more survey answers than the hourly limit."""


def coarse_audience(audience: str) -> str:
    """The analytics audience (public or staff) of a reader's audience key (or of
    an analytics audience already)."""
    if audience in Audience.values:
        return audience
    public = ReaderAudience.from_key(audience).is_public
    return Audience.PUBLIC if public else Audience.INTERNAL


# --- the survey ---


def _check_rate(visitor: str) -> None:
    key = cache_key("feedback-rate", 1, visitor)
    limit = settings.KB_FEEDBACK_RATE_LIMIT
    cache.add(key, 0, 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        count = 1
    if count > limit:
        raise RateLimited(
            _("Too many answers from this visitor. Please try again later.")
        )


@transaction.atomic
def feedback_submit(
    *,
    section: Section,
    revision: Revision,
    user=None,
    visitor: str = "",
    audience: str,
    helpful: bool,
    rating: int | None = None,
    reasons: list[str] | tuple = (),
    comment: str = "",
) -> ArticleFeedback:
    """Record or change a reader's answer for one revision (one per reader).

    The caller has checked that the reader may read the section. Anonymous visitors
    are rate-limited per hashed visitor id.
    """
    if user is not None and not user.is_authenticated:
        user = None
    if user is None:
        _check_rate(visitor)
    lookup = {"revision": revision}
    if user is not None:
        lookup["user"] = user
    else:
        lookup.update(user=None, visitor=visitor)
    feedback = ArticleFeedback.objects.filter(**lookup).first()
    if feedback is None:
        feedback = ArticleFeedback(
            section=section, revision=revision, user=user, visitor=visitor
        )
    elif feedback.status in (Status.RESOLVED, Status.DISMISSED):
        # A changed answer after triage is news again.
        feedback.status = Status.NEW
    feedback.audience = coarse_audience(audience)
    feedback.helpful = helpful
    feedback.rating = rating
    feedback.reasons = ArticleFeedback.join_reasons(reasons)
    feedback.comment = (comment or "").strip()
    feedback.updated = timezone.now()
    feedback.full_clean()
    feedback.save()
    return feedback


# --- triage ---


def _editor(user_id) -> User | None:
    if not user_id:
        return None
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except User.DoesNotExist as exc:
        raise ValidationError(_("No such user.")) from exc


@transaction.atomic
def feedback_assign(*, feedback: ArticleFeedback, assignee, user) -> ArticleFeedback:
    """Assign a feedback item to an editor (None clears); new items go in progress."""
    require(can_triage(user))
    before = feedback.assignee_id
    feedback.assignee = assignee
    if assignee is not None and feedback.status == Status.NEW:
        feedback.status = Status.IN_PROGRESS
    feedback.updated = timezone.now()
    feedback.full_clean()
    feedback.save()
    if assignee is not None and assignee.pk != before:
        notify(
            recipients=[assignee],
            kind=Kind.FEEDBACK_ASSIGNED,
            subject=feedback,
            text=feedback.section.title,
            url=reverse("feedback:detail", kwargs={"pk": feedback.pk}),
            actor=user,
        )
    return feedback


@transaction.atomic
def feedback_set_status(
    *,
    feedback: ArticleFeedback,
    status: str,
    user,
    revision: Revision | None = None,
    note: str = "",
) -> ArticleFeedback:
    """Move a feedback item through new -> in progress -> resolved / dismissed.

    Resolving names the revision that fixed it (defaults to the section's published
    revision); that revision's section must be the feedback's section.
    """
    require(can_triage(user))
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    feedback.status = status
    if note:
        feedback.note = note
    if status == Status.RESOLVED:
        revision = revision or feedback.section.published_revision
        if revision is None or revision.section_id != feedback.section_id:
            raise ValidationError(_("Choose a revision of this section that fixed it."))
        feedback.resolved_revision = revision
        feedback.resolved_by = user
        feedback.resolved_at = timezone.now()
    else:
        feedback.resolved_revision = None
        feedback.resolved_by = None
        feedback.resolved_at = None
    feedback.updated = timezone.now()
    feedback.full_clean()
    feedback.save()
    return feedback


# --- knowledge gaps ---


def _gap(kind: str, key: str) -> Gap:
    if kind not in GapKind.values:
        raise ValidationError(_("Unknown kind of gap."))
    gap, _created = Gap.objects.get_or_create(kind=kind, key=str(key)[:200])
    return gap


@transaction.atomic
def gap_assign(*, kind: str, key: str, assignee, user) -> Gap:
    require(can_triage(user))
    gap = _gap(kind, key)
    before = gap.assignee_id
    gap.assignee = assignee
    if assignee is not None and gap.status == Status.NEW:
        gap.status = Status.IN_PROGRESS
    gap.full_clean()
    gap.save()
    if assignee is not None and assignee.pk != before:
        notify(
            recipients=[assignee],
            kind=Kind.GAP_ASSIGNED,
            subject=gap,
            text=gap_label(gap),
            url=reverse("feedback:gaps"),
            actor=user,
        )
    return gap


def gap_label(gap: Gap) -> str:
    """What a gap is about, in a few words: the query, or the section's title."""
    if gap.kind == GapKind.UNHELPFUL and gap.key.isdigit():
        section = Section.objects.filter(pk=int(gap.key)).only("title").first()
        return section.title if section else gap.key
    return gap.key


@transaction.atomic
def gap_resolve(
    *, kind: str, key: str, answer_section: Section | None, user, note: str = ""
) -> Gap:
    """Mark a gap answered by `answer_section`; its searches are measured from now."""
    require(can_triage(user))
    gap = _gap(kind, key)
    if answer_section is None and kind != GapKind.UNHELPFUL:
        raise ValidationError(_("Name the section that now answers it."))
    gap.status = Status.RESOLVED
    gap.answer_section = answer_section
    gap.resolved_by = user
    gap.resolved_at = timezone.now()
    gap.note = note or gap.note
    gap.full_clean()
    gap.save()
    return gap


@transaction.atomic
def gap_set_status(*, kind: str, key: str, status: str, user) -> Gap:
    """Dismiss or reopen a gap (resolving goes through `gap_resolve`)."""
    require(can_triage(user))
    if status not in (Status.NEW, Status.IN_PROGRESS, Status.DISMISSED):
        raise ValidationError(_("Unknown status."))
    gap = _gap(kind, key)
    gap.status = status
    if status != Status.RESOLVED:
        gap.resolved_at = None
        gap.resolved_by = None
    gap.full_clean()
    gap.save()
    return gap


# --- analytics events ---


def page_view_record(*, section: Section, revision, request, audience: str) -> None:
    """Buffer one page view; written in a batch, off the reader's request time."""
    events.buffer.add(
        PageView(
            section_id=section.pk,
            revision_id=getattr(revision, "pk", None),
            audience=audience,
            created=timezone.now(),
            **events.reader_fields(request),
        )
    )


def search_record(
    *,
    query: str,
    normalized: str,
    results_count: int,
    audience: str,
    request=None,
    user=None,
) -> None:
    """Buffer one search (clicks later find it by reader and normalized query)."""
    if request is not None:
        reader = events.reader_fields(request)
    else:
        reader = {"user_id": getattr(user, "pk", None), "visitor": ""}
    events.buffer.add(
        SearchEvent(
            query=(query or "")[:200],
            normalized=(normalized or "")[:200],
            results_count=max(int(results_count or 0), 0),
            audience=coarse_audience(audience),
            created=timezone.now(),
            **reader,
        )
    )


@transaction.atomic
def search_click_record(
    *,
    request,
    normalized: str,
    query: str,
    rank: int,
    section: Section | None = None,
    entry=None,
) -> SearchEvent:
    """Mark the reader's latest matching search as clicked (first click kept).

    Call `events.flush()` first, outside any transaction: the search itself may
    still sit in this process's buffer.
    """
    reader = events.reader_fields(request)
    since = timezone.now() - CLICK_WINDOW
    match = (
        Q(user_id=reader["user_id"])
        if reader["user_id"]
        else Q(user__isnull=True, visitor=reader["visitor"])
    )
    event = (
        SearchEvent.objects.filter(match, normalized=normalized, created__gte=since)
        .order_by("clicks", "-created")
        .first()
    )
    if event is None:
        # The search was not recorded (another process still holds it, or a link
        # was shared): keep the click with what we know.
        user = request.user if request.user.is_authenticated else None
        event = SearchEvent(
            query=query[:200],
            normalized=normalized,
            results_count=rank,
            audience=Audience.INTERNAL if user else Audience.PUBLIC,
            user=user,
            visitor=reader["visitor"],
        )
    if event.clicked_rank is None:
        event.clicked_section = section
        event.clicked_faq = entry
        event.clicked_rank = rank
    event.clicks += 1
    event.save()
    return event


# --- rollup and retention ---


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def _rollup_day(day: dt.date) -> tuple[int, int]:
    start, end = _day_bounds(day)
    DailySectionStats.objects.filter(day=day).delete()
    DailySearchStats.objects.filter(day=day).delete()
    views = PageView.objects.filter(created__gte=start, created__lt=end)
    by_user = views.filter(user__isnull=False).values("section_id", "audience")
    by_user = by_user.annotate(n=Count("id"), r=Count("user_id", distinct=True))
    by_visitor = views.filter(user__isnull=True).values("section_id", "audience")
    by_visitor = by_visitor.annotate(n=Count("id"), r=Count("visitor", distinct=True))
    rows: dict[tuple, DailySectionStats] = {}
    for row in [*by_user, *by_visitor]:
        key = (row["section_id"], row["audience"])
        stat = rows.setdefault(
            key,
            DailySectionStats(
                day=day, section_id=key[0], audience=key[1], views=0, readers=0
            ),
        )
        stat.views += row["n"]
        stat.readers += row["r"]
    DailySectionStats.objects.bulk_create(rows.values(), batch_size=1000)
    searches = (
        SearchEvent.objects.filter(created__gte=start, created__lt=end)
        .values("normalized", "audience")
        .annotate(
            n=Count("id"),
            zero=Count("id", filter=Q(results_count=0)),
            clicked=Count("id", filter=Q(clicked_rank__isnull=False)),
            last=Max("created"),
            query=Max("query"),
        )
    )
    search_rows = [
        DailySearchStats(
            day=day,
            normalized=row["normalized"],
            audience=row["audience"],
            query=row["query"],
            searches=row["n"],
            zero_results=row["zero"],
            clicked=row["clicked"],
            last_seen=row["last"],
        )
        for row in searches
    ]
    DailySearchStats.objects.bulk_create(search_rows, batch_size=1000)
    return len(rows), len(search_rows)


def analytics_rollup(*, until: dt.date | None = None, full: bool = False) -> list:
    """Roll raw events of every finished day into the daily tables; idempotent.

    Days after the last rollup are (re)computed, and the last rolled day again in
    case late events arrived. `full` recomputes every day that has raw events.
    Returns [(day, section rows, search rows)].
    """
    events.buffer.flush()
    today = timezone.localdate()
    until = min(until or today - dt.timedelta(days=1), today - dt.timedelta(days=1))
    state, _created = RollupState.objects.get_or_create(pk=1)
    first = None
    if state.rolled_through and not full:
        first = state.rolled_through
    else:
        oldest = [
            m.objects.order_by("created").values_list("created", flat=True).first()
            for m in (PageView, SearchEvent)
        ]
        oldest = [timezone.localtime(t).date() for t in oldest if t]
        first = min(oldest) if oldest else None
    done = []
    if first is None:
        return done
    day = first
    while day <= until:
        with transaction.atomic():
            done.append((day, *_rollup_day(day)))
        day += dt.timedelta(days=1)
    if done:
        state.rolled_through = until
        state.save()
    return done


def analytics_prune(*, days: int) -> dict[str, int]:
    """Delete raw events older than `days` days that are already rolled up."""
    if days < 1:
        raise ValidationError(_("Keep at least one day of raw events."))
    cutoff_day = timezone.localdate() - dt.timedelta(days=days)
    state = RollupState.objects.filter(pk=1).first()
    rolled = state.rolled_through if state else None
    if rolled is None:
        return {"page_views": 0, "searches": 0}
    # Never drop raw events the daily tables do not hold yet.
    cutoff_day = min(cutoff_day, rolled + dt.timedelta(days=1))
    cutoff, _end = _day_bounds(cutoff_day)
    deleted = {}
    for name, model in (("page_views", PageView), ("searches", SearchEvent)):
        total = 0
        while True:
            ids = list(
                model.objects.filter(created__lt=cutoff).values_list("pk", flat=True)[
                    :10_000
                ]
            )
            if not ids:
                break
            total += model.objects.filter(pk__in=ids).delete()[0]
        deleted[name] = total
    return deleted
