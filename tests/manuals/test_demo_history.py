"""`manage.py load_demo` adds sixty days of demo use (page views, searches, survey
answers, FAQ questions, notifications) made by the demo-* readers, so the
manager's dashboard, the gap queue and the inbox show something; once only,
quickly, and removable."""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from faq.models import Question, QuestionStatus
from feedback import selectors
from feedback.models import (
    ArticleFeedback,
    DailySearchStats,
    DailySectionStats,
    GapKind,
    PageView,
    SearchEvent,
    Status,
)
from manuals.demo.history import PERSONA_NAMES, VISITOR_PREFIX
from manuals.models import Section
from manuals.notifications.models import Notification
from tests.factories import make_admin, make_user


def _counts() -> dict[str, int]:
    return {
        "views": PageView.objects.count(),
        "searches": SearchEvent.objects.count(),
        "answers": ArticleFeedback.objects.count(),
        "questions": Question.objects.count(),
        "notifications": Notification.objects.count(),
        "daily": DailySectionStats.objects.count(),
    }


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The demo (with its history) loaded once for the module, with an admin and a
    manager account made before, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            make_admin()
            make_user("manager", username="manager")
            out = StringIO()
            started = time.monotonic()
            call_command("load_demo", stdout=out)
            yield {"out": out.getvalue(), "seconds": time.monotonic() - started}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_once, db):
    return demo_once


@pytest.fixture
def manager(demo):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="manager")


def test_history_is_sixty_days_of_use_by_demo_readers(demo):
    """Views, searches and answers over sixty days, every one by a demo persona or a
    demo visitor; it says what it added, and it is quick."""
    from django.utils import timezone

    counts = _counts()
    assert counts["views"] > 1500
    assert counts["searches"] > 500
    assert counts["answers"] > 60
    oldest = PageView.objects.order_by("created").first().created
    assert (timezone.now() - oldest).days >= 58
    assert PageView.objects.latest("created").created <= timezone.now()
    for model in (PageView, SearchEvent, ArticleFeedback):
        strangers = model.objects.exclude(user__username__in=PERSONA_NAMES).exclude(
            visitor__startswith=VISITOR_PREFIX
        )
        assert not strangers.exists(), model
    assert not Question.objects.exclude(asked_by__username__in=PERSONA_NAMES).exists()
    assert "page views" in demo["out"] and "searches" in demo["out"]
    assert "Demo history: 60 days" in demo["out"]
    assert demo["seconds"] < 60  # the manual and the history (a few seconds alone)


def test_dashboard_shows_the_history(demo, manager, client):
    """The manager's dashboard charts have views and searches on most days, from the
    daily rollup; the content report ranks sections by views."""
    views = selectors.daily_total_views(days=30)
    staff_days = sum(1 for n in views["internal"] if n)
    assert staff_days >= 25 and sum(views["public"]) > 0
    search = selectors.daily_search_series(days=30)
    assert sum(search["searches"]) > 100 and sum(search["zero"]) > 0
    assert 0 < sum(search["clicked"]) < sum(search["searches"])
    assert DailySectionStats.objects.exists() and DailySearchStats.objects.exists()
    rows = selectors.content_report(user=manager, days=30)
    assert selectors.most_viewed(rows)[0].views > 20

    client.force_login(manager)
    for name in ("feedback:dashboard", "feedback:content", "feedback:search"):
        assert client.get(reverse(name)).status_code == 200


def test_gap_queue_and_inbox_show_the_history(demo, manager, client):
    """The gap queue holds searches without results, searches nobody followed, "not
    helpful" articles and open questions (one with a merged duplicate); the inbox
    holds answers with comments, a few already taken up by the demo manager."""
    gaps = selectors.knowledge_gaps(user=manager, days=30)
    kinds = {row.kind for row in gaps}
    assert {GapKind.ZERO_RESULTS, GapKind.NO_CLICK, GapKind.UNHELPFUL} <= kinds
    assert "question" in kinds
    labels = {row.label for row in gaps}
    assert "海外直邮" in labels and "差评怎么回复" in labels
    presale = next(r for r in gaps if r.label == "预售商品付了定金可以退吗？")
    assert presale.count == 2
    assert Question.objects.filter(status=QuestionStatus.REJECTED).exists()

    inbox = selectors.feedback_inbox()
    assert inbox.exclude(comment="").count() >= 10
    assert inbox.filter(status=Status.IN_PROGRESS, assignee__isnull=False).exists()
    assert ArticleFeedback.objects.filter(reasons__contains=",outdated,").count() >= 5
    client.force_login(manager)
    html = client.get(reverse("feedback:inbox")).content.decode()
    assert "价格保护期现在是 15 天" in html
    html = client.get(reverse("feedback:gaps")).content.decode()
    assert "海外直邮" in html


def test_real_accounts_get_a_few_notifications(demo, manager):
    """The accounts there when it ran (not the personas) have a few notifications
    from the demo's editor and manager, some read."""
    mine = Notification.objects.filter(recipient=manager)
    assert 2 <= mine.count() <= 10
    assert mine.filter(read_at__isnull=True).exists()
    assert mine.filter(read_at__isnull=False).exists()
    assert set(mine.values_list("actor__username", flat=True)) <= set(PERSONA_NAMES)
    assert not Notification.objects.filter(
        recipient__username__in=PERSONA_NAMES
    ).exists()


def test_a_rerun_adds_nothing_but_tells_new_accounts(demo):
    """Running it again duplicates nothing; an account made since gets its own few
    notifications, once."""
    before = _counts()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert _counts() == before
    assert "already there" in out.getvalue()

    agent = make_user("agent", username="agent")
    call_command("load_demo", stdout=StringIO())
    told = Notification.objects.filter(recipient=agent).count()
    assert told >= 2
    call_command("load_demo", stdout=StringIO())
    assert Notification.objects.filter(recipient=agent).count() == told


def test_remove_history_leaves_the_manual(demo):
    """--remove-history deletes the personas and everything they did (and the daily
    rollup of it), and nothing of the manual; loading again gives the same history
    (it is seeded)."""
    sections = Section.objects.count()
    before = _counts()
    call_command("load_demo", "--remove-history", stdout=StringIO())
    assert Section.objects.count() == sections
    assert _counts() == dict.fromkeys(before, 0)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username__in=PERSONA_NAMES).exists()

    call_command("load_demo", stdout=StringIO())
    assert _counts() == before


def test_no_history_option(demo, manager):
    """--no-history adds nothing of the demo's use (here after removing what the
    module's load added): the dashboard and the gap queue stay empty."""
    call_command("load_demo", "--remove-history", stdout=StringIO())
    out = StringIO()
    call_command("load_demo", "--no-history", stdout=out)
    assert Section.objects.count() >= 40
    assert _counts() == dict.fromkeys(_counts(), 0)
    assert "history" not in out.getvalue().lower()
    assert selectors.knowledge_gaps(user=manager, days=30) == []
    assert sum(selectors.daily_total_views(days=30)["internal"]) == 0
