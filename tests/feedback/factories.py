"""Helpers that write raw analytics events at fixed times, for hand-computed reports."""

import datetime as dt

from django.utils import timezone

from feedback.models import ArticleFeedback, PageView, SearchEvent


def at(days_ago: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """Local time `hour`:`minute` on the day `days_ago` days before today.

    Early in the day, "today at noon" is still to come: today's events are then
    packed into the day's first fraction of a second (same order, same day, always
    the same instant for the same arguments), so no test depends on the clock.
    """
    zone = timezone.get_current_timezone()
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    value = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
    if days_ago == 0 and value >= timezone.now():
        value = dt.datetime.combine(
            day, dt.time(0, 0, 0, (hour * 60 + minute) * 100), tzinfo=zone
        )
    return value


def views(section, n, *, days_ago, user=None, visitor="", audience="internal", hour=12):
    PageView.objects.bulk_create(
        PageView(
            section=section,
            revision_id=section.published_revision_id,
            audience=audience,
            user=user,
            visitor=visitor if user is None else "",
            created=at(days_ago, hour, i % 60),
        )
        for i in range(n)
    )


def searches(
    query,
    n,
    *,
    days_ago,
    results=0,
    clicked=0,
    section=None,
    user=None,
    hour=12,
    audience="internal",
    normalized=None,
):
    SearchEvent.objects.bulk_create(
        SearchEvent(
            query=query,
            normalized=normalized or query,
            results_count=results,
            audience=audience,
            user=user,
            clicked_section=section if i < clicked else None,
            clicked_rank=1 if i < clicked else None,
            clicks=1 if i < clicked else 0,
            created=at(days_ago, hour, i % 60),
        )
        for i in range(n)
    )


def feedback(section, user, *, helpful, days_ago=0, reasons=(), rating=None, **kw):
    return ArticleFeedback.objects.create(
        section=section,
        revision=section.published_revision,
        user=user,
        helpful=helpful,
        reasons=ArticleFeedback.join_reasons(reasons),
        rating=rating,
        created=at(days_ago),
        **kw,
    )
