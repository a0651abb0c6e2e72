"""Report queries against hand-computed expectations on fixed data, before and after
the daily rollup (which must not change any number)."""

import datetime as dt

import pytest
from django.core.management import call_command

from faq.models import Question
from feedback import selectors, services
from feedback.models import (
    DailySearchStats,
    DailySectionStats,
    GapKind,
    PageView,
    SearchEvent,
    Status,
)
from tests.factories import make_user
from tests.feedback.factories import at, feedback, searches, views

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


@pytest.fixture
def data(tree, agent, manager):
    """Fixed events; the expected numbers in the tests are counted by hand from here.

    refund: today 3 views by agent + 1 by visitor v1; 2 days ago 2 views by agent.
    sop:    10 days ago 5 views by visitors v1..v5; 40 days ago 7 views by v1.
    feedback on refund: 2 not helpful (agent, other), 1 helpful (manager), this week.
    searches: "退款" 0 results x1 today, x2 two days ago; "退货流程" 5 results x4 (2
    clicked) yesterday; "发票" 2 results x2 (none clicked) 3 days ago.
    """
    refund, sop = tree["refund"], tree["sop"]
    views(refund, 3, days_ago=0, user=agent)
    views(refund, 1, days_ago=0, visitor="v1")
    views(refund, 2, days_ago=2, user=agent)
    for v in range(1, 6):
        views(sop, 1, days_ago=10, visitor=f"v{v}")
    views(sop, 7, days_ago=40, visitor="v1")
    other = make_user("agent", username="other")
    feedback(refund, agent, helpful=False, reasons=["outdated"], days_ago=1)
    feedback(refund, other, helpful=False, reasons=["unclear"], days_ago=0)
    feedback(refund, manager, helpful=True, rating=5, days_ago=3)
    searches("退款", 1, days_ago=0, hour=9)
    searches("退款", 2, days_ago=2)
    searches("退货流程", 4, days_ago=1, results=5, clicked=2, section=sop)
    searches("发票", 2, days_ago=3, results=2)
    return tree


def rows_by_title(rows):
    return {r.section.title: r for r in rows}


def check_content(manager):
    week = rows_by_title(
        selectors.fill_daily(selectors.content_report(user=manager, days=7), days=7)
    )
    assert (week["退款政策"].views, week["退款政策"].readers) == (6, 3)
    assert week["退款政策"].daily[-1] == 4 and week["退款政策"].daily[-3] == 2
    assert (week["退货流程"].views, week["退货流程"].previous_views) == (0, 5)
    assert (week["退款政策"].helpful, week["退款政策"].not_helpful) == (1, 2)
    assert week["退款政策"].helpful_rate == pytest.approx(1 / 3)
    month = rows_by_title(selectors.content_report(user=manager, days=30))
    assert (month["退货流程"].views, month["退货流程"].readers) == (5, 5)
    assert month["退货流程"].previous_views == 7
    assert month["退货流程"].change == pytest.approx((5 - 7) / 7)
    assert month["常见问题"].views == 0 and month["常见问题"].helpful_rate is None
    top = selectors.most_viewed(list(month.values()), limit=2)
    assert [r.section.title for r in top] == ["退款政策", "退货流程"]
    least = selectors.least_viewed(list(month.values()), limit=50)
    assert least[-1].section.title == "退款政策"


def check_search():
    top = selectors.top_queries(days=30)
    assert [(s.normalized, s.searches, s.zero, s.clicked) for s in top] == [
        ("退货流程", 4, 0, 2),
        ("退款", 3, 3, 0),
        ("发票", 2, 0, 0),
    ]
    assert top[0].click_rate == 0.5
    assert top[1].click_rate is None
    assert top[1].last_seen == at(0, 9)
    series = selectors.daily_search_series(days=7)
    assert series["searches"][-4:] == [2, 2, 4, 1]
    assert series["zero"][-4:] == [0, 2, 0, 1]
    assert series["zero_rate"][-4:] == [0.0, 1.0, 0.0, 1.0]
    assert series["click_rate"][-4:] == [0.0, None, 0.5, None]
    assert series["searches"][0] == 0 and series["zero_rate"][0] is None


def test_content_report_numbers(data, manager):
    """Views, readers (distinct per day, summed), previous period, change and
    helpfulness per section match the hand count."""
    check_content(manager)


def test_search_report_numbers(data):
    """Top queries and the daily zero-result and click-through rates match."""
    check_search()


def test_rollup_changes_no_number(data, manager):
    """After `analytics_rollup` (and pruning raw events already rolled up) every
    report gives the same numbers as from raw events, and the daily tables hold
    exactly the raw counts."""
    raw_per_day = {}
    for view in PageView.objects.all():
        key = (view.created.astimezone(at(0).tzinfo).date(), view.section_id)
        raw_per_day[key] = raw_per_day.get(key, 0) + 1
    call_command("analytics_rollup", verbosity=0)
    rolled = {(r.day, r.section_id): r.views for r in DailySectionStats.objects.all()}
    today = at(0).date()
    assert rolled == {k: v for k, v in raw_per_day.items() if k[0] < today}
    assert sum(DailySearchStats.objects.values_list("searches", flat=True)) == 9 - 1
    check_content(manager)
    check_search()
    # Rolling up twice is harmless.
    call_command("analytics_rollup", verbosity=0)
    check_content(manager)
    # Pruning raw events older than 1 day keeps the reports whole.
    call_command("analytics_prune", days=1, verbosity=0)
    assert PageView.objects.filter(created__lt=at(1, 0)).count() == 0
    assert SearchEvent.objects.filter(created__lt=at(1, 0)).count() == 0
    check_content(manager)
    check_search()


def test_prune_never_drops_events_not_rolled_up(data):
    """Without a rollup, pruning deletes nothing: raw events are the only copy."""
    call_command("analytics_prune", days=1, verbosity=0)
    assert PageView.objects.count() == 18


def test_knowledge_gap_queue(data, manager, agent):
    """One queue: the zero-result query (3 searches, last seen today), the query
    nobody clicked (2), the article with most "not helpful" (2), and the open
    question; the query that was clicked is no gap."""
    question = Question.objects.create(text="发票怎么开?", asked_by=agent)
    rows = selectors.knowledge_gaps(user=manager, days=30)
    found = {(r.kind, r.key): r for r in rows}
    zero = found[(GapKind.ZERO_RESULTS, "退款")]
    assert (zero.count, zero.last_seen) == (3, at(0, 9))
    assert found[(GapKind.NO_CLICK, "发票")].count == 2
    unhelpful = found[(GapKind.UNHELPFUL, str(data["refund"].pk))]
    assert (unhelpful.count, unhelpful.label) == (2, "退款政策")
    assert found[("question", str(question.pk))].label == "发票怎么开?"
    assert not any(r.key == "退货流程" for r in rows)
    assert len(rows) == 4


def test_gap_lifecycle_with_remeasurement(data, manager, editor, tree):
    """A gap is assigned (in progress), resolved with the section that now answers
    it (it leaves the open queue), and its later searches are measured: since
    resolved, 2 searches, 1 clicked. Reopening puts it back in the queue."""
    kind, key = GapKind.ZERO_RESULTS, "退款"
    gap = services.gap_assign(kind=kind, key=key, assignee=editor, user=manager)
    assert gap.status == Status.IN_PROGRESS
    row = next(
        r
        for r in selectors.knowledge_gaps(user=manager)
        if (r.kind, r.key) == (kind, key)
    )
    assert row.gap.assignee == editor
    gap = services.gap_resolve(
        kind=kind, key=key, answer_section=tree["refund"], user=manager
    )
    assert gap.status == Status.RESOLVED
    assert not any(
        r.key == key and r.kind == kind for r in selectors.knowledge_gaps(user=manager)
    )
    # Searches after the fix: 2, one clicked; one before the fix does not count.
    SearchEvent.objects.create(
        query="退款",
        normalized="退款",
        results_count=1,
        audience="internal",
        created=gap.resolved_at - dt.timedelta(minutes=5),
    )
    SearchEvent.objects.create(
        query="退款",
        normalized="退款",
        results_count=3,
        audience="internal",
        clicked_section=tree["refund"],
        clicked_rank=1,
        clicks=1,
    )
    SearchEvent.objects.create(
        query="退款", normalized="退款", results_count=3, audience="internal"
    )
    resolved = [
        r
        for r in selectors.knowledge_gaps(user=manager, status="resolved")
        if (r.kind, r.key) == (kind, key)
    ]
    assert resolved[0].since_resolved == {"searches": 2, "zero": 0, "clicked": 1}
    assert resolved[0].gap.answer_section == tree["refund"]
    services.gap_set_status(kind=kind, key=key, status=Status.NEW, user=manager)
    assert any(r.key == key for r in selectors.knowledge_gaps(user=manager))


def test_remeasurement_after_raw_events_are_pruned(data, manager, tree):
    """When the raw events after a fix are pruned, the rollup still measures it."""
    gap = services.gap_resolve(
        kind=GapKind.ZERO_RESULTS,
        key="退款",
        answer_section=tree["refund"],
        user=manager,
    )
    gap.resolved_at = at(5)
    gap.save()
    call_command("analytics_rollup", verbosity=0)
    call_command("analytics_prune", days=1, verbosity=0)
    assert selectors.remeasure(gap=gap) == {"searches": 3, "zero": 3, "clicked": 0}


def test_unhelpful_gap_remeasures_answers(data, manager, tree, agent):
    """An unhelpful article resolved by a rewrite counts the answers given since."""
    key = str(tree["refund"].pk)
    gap = services.gap_resolve(
        kind=GapKind.UNHELPFUL, key=key, answer_section=None, user=manager
    )
    from feedback.models import ArticleFeedback

    ArticleFeedback.objects.filter(user=agent).update(created=gap.resolved_at)
    assert selectors.remeasure(gap=gap) == {"answers": 1, "not_helpful": 1}


def test_stale_sections(tree, manager):
    """Sections past their review-by date are listed, most overdue first."""
    from manuals.models import Section

    today = at(0).date()
    Section.objects.filter(pk=tree["sop"].pk).update(
        review_by=today - dt.timedelta(days=3)
    )
    Section.objects.filter(pk=tree["refund"].pk).update(
        review_by=today - dt.timedelta(days=9)
    )
    Section.objects.filter(pk=tree["scripts"].pk).update(review_by=today)
    stale = list(selectors.stale_sections(user=manager))
    assert [s.title for s in stale] == ["退款政策", "退货流程"]


def test_inbox_filters(data, manager, tree):
    """The inbox lists open feedback and filters by status, section, reason, rating
    and date."""
    refund = tree["refund"]
    assert selectors.feedback_inbox().count() == 3
    assert selectors.feedback_inbox(reason="unclear").count() == 1
    assert selectors.feedback_inbox(rating="5").count() == 1
    assert selectors.feedback_inbox(helpful="no").count() == 2
    assert selectors.feedback_inbox(section=tree["a"]).count() == 3
    assert selectors.feedback_inbox(section=tree["b"]).count() == 0
    assert selectors.feedback_inbox(since=at(1).date()).count() == 2
    assert selectors.feedback_inbox(until=at(2).date()).count() == 1
    item = selectors.feedback_inbox(reason="outdated").get()
    services.feedback_set_status(
        feedback=item,
        status=Status.RESOLVED,
        user=manager,
        revision=refund.published_revision,
    )
    assert selectors.feedback_inbox().count() == 2
    assert selectors.feedback_inbox(status=Status.RESOLVED).get() == item
    assert selectors.feedback_inbox(status="all").count() == 3
