"""Report queries shared by the dashboard views, the CSV downloads and the tests.

Every period report reads the daily rollup tables for days already rolled up and raw
events only from the first day after the last rollup, so a report's cost follows the
number of sections and queries, not the number of events.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from manuals.models import Section

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

PERIODS = (7, 30, 90)
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS)


# --- periods and the rollup boundary ---


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def period_days(days: int, today: dt.date | None = None) -> list[dt.date]:
    """The last `days` calendar days, today included, oldest first."""
    today = today or timezone.localdate()
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


def raw_from_day() -> dt.date | None:
    """The first day reports read from raw events (None: no rollup yet, all raw)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None or state.rolled_through is None:
        return None
    return state.rolled_through + dt.timedelta(days=1)


def _split(since_day: dt.date):
    """(rollup filter kwargs, raw start datetime) for a period starting `since_day`."""
    boundary = raw_from_day()
    if boundary is None:
        return None, start_of(since_day)
    rollup = {"day__gte": since_day, "day__lt": boundary}
    return rollup, start_of(max(since_day, boundary))


def _local_day():
    return TruncDate("created", tzinfo=timezone.get_current_timezone())


# --- feedback ---


# The revisions a signed-in reader has answered, kept in their session (filled at
# login, added to on every answer): most pages are read by someone who has not
# answered, and for them the survey then needs no query at all.
ANSWERED_SESSION_KEY = "kb_answered_revisions"
ANSWERED_KEPT = 500


def remember_answers_at_login(sender, request, user, **kwargs):
    """user_logged_in receiver: the revisions this reader answered, newest first."""
    if request is not None and hasattr(request, "session"):
        request.session[ANSWERED_SESSION_KEY] = list(
            ArticleFeedback.objects.filter(user=user)
            .order_by("-id")
            .values_list("revision_id", flat=True)[:ANSWERED_KEPT]
        )


def remember_answer(request, revision_id: int) -> None:
    known = request.session.get(ANSWERED_SESSION_KEY)
    if known is not None and revision_id not in known:
        request.session[ANSWERED_SESSION_KEY] = [revision_id, *known][:ANSWERED_KEPT]


def answer_of(request, revision):
    """The answer the reader of `request` gave on `revision`, or None."""
    if request.user.is_authenticated:
        known = request.session.get(ANSWERED_SESSION_KEY)
        if known is not None and revision.pk not in known:
            return None
        return feedback_for_reader(revision=revision, user=request.user)
    from .events import visitor_id

    return feedback_for_reader(revision=revision, visitor=visitor_id(request))


def feedback_for_reader(*, revision, user=None, visitor: str = ""):
    """The answer this reader gave on this revision, or None."""
    if revision is None:
        return None
    qs = ArticleFeedback.objects.filter(revision=revision)
    if user is not None and user.is_authenticated:
        return qs.filter(user=user).first()
    if not visitor:
        return None
    return qs.filter(user__isnull=True, visitor=visitor).first()


def feedback_inbox(
    *,
    status: str = "",
    section: Section | None = None,
    reason: str = "",
    helpful: str = "",
    rating: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
):
    """Feedback for the inbox; `status` '' means open (new and in progress)."""
    qs = ArticleFeedback.objects.select_related(
        "section", "revision", "user", "assignee", "resolved_revision"
    )
    if status == "":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status != "all":
        qs = qs.filter(status=status)
    if section is not None:
        qs = qs.filter(section__path__startswith=section.path)
    if reason:
        qs = qs.filter(reasons__contains=f",{reason},")
    if helpful in ("yes", "no"):
        qs = qs.filter(helpful=helpful == "yes")
    if rating:
        qs = qs.filter(rating=int(rating))
    if since:
        qs = qs.filter(created__gte=start_of(since))
    if until:
        qs = qs.filter(created__lt=start_of(until + dt.timedelta(days=1)))
    return qs.order_by("-created")


def resolved_feedback_for_section(*, section: Section):
    """Feedback this section's revisions resolved, newest fix first (for history)."""
    return (
        ArticleFeedback.objects.filter(section=section, status=Status.RESOLVED)
        .select_related("resolved_revision", "resolved_by", "revision")
        .order_by("-resolved_at")
    )


# --- content ---


def daily_section_views(
    *, since_day: dt.date, section_ids=None, raw_only_from: dt.datetime | None = None
) -> dict[int, dict[dt.date, list[int]]]:
    """{section_id: {day: [views, readers]}} from the rollup plus recent raw events
    (only the raw events from `raw_only_from` when given)."""
    out: dict[int, dict[dt.date, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    rollup, raw_start = _split(since_day)
    if raw_only_from is not None:
        rollup, raw_start = None, raw_only_from
    if rollup is not None:
        qs = DailySectionStats.objects.filter(**rollup)
        if section_ids is not None:
            qs = qs.filter(section_id__in=section_ids)
        for row in qs.values("section_id", "day").annotate(
            v=Sum("views"), r=Sum("readers")
        ):
            cell = out[row["section_id"]][row["day"]]
            cell[0] += row["v"]
            cell[1] += row["r"]
    raw = PageView.objects.filter(created__gte=raw_start)
    if section_ids is not None:
        raw = raw.filter(section_id__in=section_ids)
    for row in (
        raw.annotate(d=_local_day())
        .values("section_id", "d")
        .annotate(
            v=Count("id"),
            users=Count("user_id", distinct=True),
            visitors=Count("visitor", distinct=True, filter=Q(user__isnull=True)),
        )
    ):
        cell = out[row["section_id"]][row["d"]]
        cell[0] += row["v"]
        cell[1] += row["users"] + row["visitors"]
    return out


def daily_total_views(*, days: int) -> dict[str, list[int]]:
    """Views per day over the period, per analytics audience (public, staff)."""
    day_list = period_days(days)
    since = day_list[0]
    series = {Audience.PUBLIC: [0] * days, Audience.INTERNAL: [0] * days}
    index = {d: i for i, d in enumerate(day_list)}
    rollup, raw_start = _split(since)
    rows = []
    if rollup is not None:
        rows += [
            (r["day"], r["audience"], r["v"])
            for r in DailySectionStats.objects.filter(**rollup)
            .values("day", "audience")
            .annotate(v=Sum("views"))
        ]
    rows += [
        (r["d"], r["audience"], r["v"])
        for r in PageView.objects.filter(created__gte=raw_start)
        .annotate(d=_local_day())
        .values("d", "audience")
        .annotate(v=Count("id"))
    ]
    for day, audience, views in rows:
        if day in index and audience in series:
            series[audience][index[day]] += views
    return series


@dataclass
class ContentRow:
    section: Section
    views: int = 0
    readers: int = 0
    previous_views: int = 0
    helpful: int = 0
    not_helpful: int = 0
    daily: list[int] = field(default_factory=list)

    @property
    def helpful_rate(self) -> float | None:
        total = self.helpful + self.not_helpful
        return None if total == 0 else self.helpful / total

    @property
    def change(self) -> float | None:
        """Views this period against the period before, as a fraction (+0.25)."""
        if self.previous_views == 0:
            return None
        return (self.views - self.previous_views) / self.previous_views


def _section_totals(*, since: dt.date, before: dt.date) -> dict[int, list[int]]:
    """{section_id: [views, readers, previous views]}: one row per section from the
    rollup (conditional sums), plus the raw days since the last rollup."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    rollup, raw_start = _split(before)
    if rollup is not None:
        current = Q(day__gte=since)
        for row in (
            DailySectionStats.objects.filter(**rollup)
            .values("section_id")
            .annotate(
                v=Sum("views", filter=current),
                r=Sum("readers", filter=current),
                p=Sum("views", filter=~current),
            )
        ):
            cell = totals[row["section_id"]]
            cell[0] += row["v"] or 0
            cell[1] += row["r"] or 0
            cell[2] += row["p"] or 0
    for section_id, per_day in daily_section_views(
        since_day=before, section_ids=None, raw_only_from=raw_start
    ).items():
        for day, (views, readers) in per_day.items():
            cell = totals[section_id]
            if day >= since:
                cell[0] += views
                cell[1] += readers
            else:
                cell[2] += views
    return totals


def content_report(*, user, days: int = 30) -> list[ContentRow]:
    """Every published section the manager may read, with views, readers (summed
    daily uniques), views in the period before, and helpfulness answers over `days`
    days. `fill_daily` adds the per-day series to the rows a page shows."""
    since = period_days(days)[0]
    before = since - dt.timedelta(days=days)
    sections = list(
        Section.objects.readable_by(user)
        .filter(published_revision__isnull=False)
        .only("id", "title", "slug", "path", "depth", "review_by", "visibility")
    )
    totals = _section_totals(since=since, before=before)
    feedback = {
        row["section_id"]: row
        for row in ArticleFeedback.objects.filter(created__gte=start_of(since))
        .values("section_id")
        .annotate(
            yes=Count("id", filter=Q(helpful=True)),
            no=Count("id", filter=Q(helpful=False)),
        )
    }
    rows = []
    for section in sections:
        row = ContentRow(section=section)
        if section.pk in totals:
            row.views, row.readers, row.previous_views = totals[section.pk]
        answers = feedback.get(section.pk)
        if answers:
            row.helpful, row.not_helpful = answers["yes"], answers["no"]
        rows.append(row)
    return rows


def fill_daily(rows: list[ContentRow], *, days: int) -> list[ContentRow]:
    """Give each row its views per day over the period (for trend lines)."""
    day_list = period_days(days)
    daily = daily_section_views(
        since_day=day_list[0], section_ids=[r.section.pk for r in rows]
    )
    for row in rows:
        per_day = daily.get(row.section.pk, {})
        row.daily = [per_day[d][0] if d in per_day else 0 for d in day_list]
    return rows


def most_viewed(rows: list[ContentRow], limit: int = 20) -> list[ContentRow]:
    return sorted(rows, key=lambda r: (-r.views, r.section.path))[:limit]


def least_viewed(rows: list[ContentRow], limit: int = 20) -> list[ContentRow]:
    return sorted(rows, key=lambda r: (r.views, r.section.path))[:limit]


def stale_sections(*, user, today: dt.date | None = None):
    """Published sections past their review-by date, most overdue first."""
    today = today or timezone.localdate()
    return (
        Section.objects.readable_by(user)
        .filter(review_by__lt=today, published_revision__isnull=False)
        .select_related("owner")
        .order_by("review_by", "path")
    )


def section_daily_feedback(*, section: Section, days: int) -> dict[str, list[int]]:
    day_list = period_days(days)
    index = {d: i for i, d in enumerate(day_list)}
    series = {"helpful": [0] * days, "not_helpful": [0] * days}
    for row in (
        ArticleFeedback.objects.filter(
            section=section, created__gte=start_of(day_list[0])
        )
        .annotate(d=_local_day())
        .values("d", "helpful")
        .annotate(n=Count("id"))
    ):
        if row["d"] in index:
            key = "helpful" if row["helpful"] else "not_helpful"
            series[key][index[row["d"]]] += row["n"]
    return series


# --- search ---


@dataclass
class QueryStats:
    normalized: str
    query: str = ""
    searches: int = 0
    zero: int = 0
    clicked: int = 0
    last_seen: dt.datetime | None = None

    @property
    def with_results(self) -> int:
        return self.searches - self.zero

    @property
    def click_rate(self) -> float | None:
        return None if self.with_results <= 0 else self.clicked / self.with_results

    def add(self, *, query, searches, zero, clicked, last_seen):
        self.query = self.query or query
        self.searches += searches
        self.zero += zero
        self.clicked += clicked
        if last_seen and (self.last_seen is None or last_seen > self.last_seen):
            self.last_seen = last_seen


def _raw_search_totals(qs):
    return qs.values("normalized").annotate(
        n=Count("id"),
        zero=Count("id", filter=Q(results_count=0)),
        clicked=Count("id", filter=Q(clicked_rank__isnull=False)),
        last=Max("created"),
        q=Max("query"),
    )


def query_stats(*, since_day: dt.date, normalized=None) -> dict[str, QueryStats]:
    """Per normalized query: searches, zero-result searches, clicked, last seen."""
    out: dict[str, QueryStats] = {}

    def merge(key, **values):
        out.setdefault(key, QueryStats(normalized=key)).add(**values)

    rollup, raw_start = _split(since_day)
    if rollup is not None:
        qs = DailySearchStats.objects.filter(**rollup)
        if normalized is not None:
            qs = qs.filter(normalized__in=normalized)
        for row in qs.values("normalized").annotate(
            n=Sum("searches"),
            zero=Sum("zero_results"),
            clicked=Sum("clicked"),
            last=Max("last_seen"),
            q=Max("query"),
        ):
            merge(
                row["normalized"],
                query=row["q"],
                searches=row["n"],
                zero=row["zero"],
                clicked=row["clicked"],
                last_seen=row["last"],
            )
    raw = SearchEvent.objects.filter(created__gte=raw_start)
    if normalized is not None:
        raw = raw.filter(normalized__in=normalized)
    for row in _raw_search_totals(raw):
        merge(
            row["normalized"],
            query=row["q"],
            searches=row["n"],
            zero=row["zero"],
            clicked=row["clicked"],
            last_seen=row["last"],
        )
    return out


def top_queries(*, days: int = 30, limit: int = 50) -> list[QueryStats]:
    stats = query_stats(since_day=period_days(days)[0])
    return sorted(stats.values(), key=lambda s: (-s.searches, s.normalized))[:limit]


def daily_search_series(*, days: int) -> dict[str, list]:
    """Per day: searches, zero-result rate and click-through (clicked / with results);
    rates are None on days without searches."""
    day_list = period_days(days)
    index = {d: i for i, d in enumerate(day_list)}
    n, zero, clicked = [0] * days, [0] * days, [0] * days
    rollup, raw_start = _split(day_list[0])
    rows = []
    if rollup is not None:
        rows += [
            (r["day"], r["n"], r["z"], r["c"])
            for r in DailySearchStats.objects.filter(**rollup)
            .values("day")
            .annotate(n=Sum("searches"), z=Sum("zero_results"), c=Sum("clicked"))
        ]
    rows += [
        (r["d"], r["n"], r["z"], r["c"])
        for r in SearchEvent.objects.filter(created__gte=raw_start)
        .annotate(d=_local_day())
        .values("d")
        .annotate(
            n=Count("id"),
            z=Count("id", filter=Q(results_count=0)),
            c=Count("id", filter=Q(clicked_rank__isnull=False)),
        )
    ]
    for day, searches, zeros, clicks in rows:
        if day in index:
            i = index[day]
            n[i] += searches
            zero[i] += zeros
            clicked[i] += clicks
    zero_rate = [z / s if s else None for z, s in zip(zero, n, strict=True)]
    ctr = [
        c / (s - z) if s - z > 0 else None
        for c, s, z in zip(clicked, n, zero, strict=True)
    ]
    return {
        "days": day_list,
        "searches": n,
        "zero": zero,
        "clicked": clicked,
        "zero_rate": zero_rate,
        "click_rate": ctr,
    }


# --- knowledge gaps ---


@dataclass
class GapRow:
    kind: str
    key: str
    label: str
    count: int
    last_seen: dt.datetime | None
    gap: Gap | None = None
    section: Section | None = None
    question: object = None
    since_resolved: dict | None = None

    @property
    def status(self) -> str:
        if self.question is not None:
            return Status.NEW
        return self.gap.status if self.gap else Status.NEW

    @property
    def kind_label(self) -> str:
        from django.utils.translation import gettext

        if self.kind == "question":
            return gettext("Unanswered question")
        return str(GapKind(self.kind).label)


def remeasure(*, gap: Gap) -> dict:
    """What happened since a gap was resolved: for searches, how many and how many
    clicked; for an unhelpful article, how many answers and how many "not helpful"."""
    since = gap.resolved_at
    if since is None:
        return {}
    if gap.kind == GapKind.UNHELPFUL:
        qs = ArticleFeedback.objects.filter(section_id=gap.key, created__gte=since)
        return {
            "answers": qs.count(),
            "not_helpful": qs.filter(helpful=False).count(),
        }
    earliest = SearchEvent.objects.aggregate(m=Min("created"))["m"]
    boundary = raw_from_day()
    if earliest is not None and (since >= earliest or boundary is None):
        stats = SearchEvent.objects.filter(
            normalized=gap.key, created__gte=since
        ).aggregate(
            n=Count("id"),
            zero=Count("id", filter=Q(results_count=0)),
            clicked=Count("id", filter=Q(clicked_rank__isnull=False)),
        )
    else:
        # Raw events of that time are pruned: whole days after it from the rollup.
        total = query_stats(
            since_day=timezone.localdate(since) + dt.timedelta(days=1),
            normalized=[gap.key],
        ).get(gap.key)
        stats = {
            "n": total.searches if total else 0,
            "zero": total.zero if total else 0,
            "clicked": total.clicked if total else 0,
        }
    return {"searches": stats["n"], "zero": stats["zero"], "clicked": stats["clicked"]}


def knowledge_gaps(
    *, user, days: int = 30, status: str = "open", limit: int = 100
) -> list[GapRow]:
    """One queue: zero-result and unclicked searches (by normalized query), the most
    "not helpful" articles, and unanswered questions; with their triage state.

    `status` is 'open' (new, in progress), a Status value, or 'all'.
    """
    from faq.models import QuestionStatus
    from faq.selectors import readable_questions

    since_day = period_days(days)[0]
    rows: list[GapRow] = []
    for stats in query_stats(since_day=since_day).values():
        if stats.zero > 0:
            rows.append(
                GapRow(
                    GapKind.ZERO_RESULTS,
                    stats.normalized,
                    stats.query,
                    stats.zero,
                    stats.last_seen,
                )
            )
        if stats.with_results > 0 and stats.clicked == 0:
            rows.append(
                GapRow(
                    GapKind.NO_CLICK,
                    stats.normalized,
                    stats.query,
                    stats.with_results,
                    stats.last_seen,
                )
            )
    readable = Section.objects.readable_by(user)
    unhelpful = (
        ArticleFeedback.objects.filter(
            helpful=False,
            created__gte=timezone.now() - dt.timedelta(days=30),
            section__in=readable,
        )
        .values("section_id")
        .annotate(n=Count("id"), last=Max("created"))
        .order_by("-n")[:limit]
    )
    titles = dict(
        Section.objects.filter(pk__in=[r["section_id"] for r in unhelpful]).values_list(
            "pk", "title"
        )
    )
    for row in unhelpful:
        rows.append(
            GapRow(
                GapKind.UNHELPFUL,
                str(row["section_id"]),
                titles.get(row["section_id"], ""),
                row["n"],
                row["last"],
            )
        )
    # Gaps resolved earlier stay listed (with their re-measurement) even when their
    # searches have left the period.
    known = {(r.kind, r.key) for r in rows}
    gaps = {(g.kind, g.key): g for g in Gap.objects.select_related("answer_section")}
    for (kind, key), gap in gaps.items():
        if (kind, key) not in known and gap.status == Status.RESOLVED:
            label = key
            if kind == GapKind.UNHELPFUL:
                label = titles.get(int(key)) or str(
                    Section.objects.filter(pk=key)
                    .values_list("title", flat=True)
                    .first()
                    or key
                )
            rows.append(GapRow(kind, key, label, 0, None))
    for row in rows:
        row.gap = gaps.get((row.kind, row.key))
        if row.kind == GapKind.UNHELPFUL:
            row.section = Section(pk=int(row.key), title=row.label)
        if row.gap and row.gap.status == Status.RESOLVED:
            row.since_resolved = remeasure(gap=row.gap)
    if status == "open":
        rows = [r for r in rows if r.status in OPEN_STATUSES]
    elif status != "all":
        rows = [r for r in rows if r.status == status]
    if status in ("open", "all", Status.NEW):
        open_questions = (
            readable_questions(user=user)
            .filter(status=QuestionStatus.OPEN)
            .select_related("asked_by")
            .annotate(n_duplicates=Count("duplicates"))
            .order_by("-created")[:limit]
        )
        for question in open_questions:
            rows.append(
                GapRow(
                    "question",
                    str(question.pk),
                    question.text,
                    1 + question.n_duplicates,
                    question.created,
                    question=question,
                )
            )
    rows.sort(
        key=lambda r: (-r.count, -(r.last_seen.timestamp() if r.last_seen else 0))
    )
    return rows[: limit * 4]
