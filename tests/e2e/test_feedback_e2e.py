"""Real-browser walks through feedback, the managers' dashboard and the FAQ.

An agent rates an article "not helpful" with a reason (inline, no reload); a manager
finds it in the inbox, assigns and resolves it; a search with no results shows up in
the knowledge-gap queue; an agent's question becomes an FAQ entry that search finds.
Screenshots of the survey and every dashboard page land in tests/e2e/screenshots/.
"""

import re

import pytest
from playwright.sync_api import expect

from faq.models import Entry, Question
from feedback import events
from feedback.models import ArticleFeedback, SearchEvent, Status
from tests.e2e.conftest import login, screenshot
from tests.factories import make_user
from tests.feedback.factories import feedback, searches, views

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _clean_buffer():
    events.buffer._items.clear()
    yield
    events.buffer._items.clear()


@pytest.fixture
def manager(db):
    return make_user("manager", username="manager")


@pytest.fixture
def history(tree, agent):
    """A month of reading and searching, so the charts have something to draw."""
    for day in range(30):
        views(tree["refund"], 5 + (day * 7) % 11, days_ago=day, user=agent)
        views(tree["sop"], 2 + (day * 3) % 5, days_ago=day, visitor=f"v{day % 4}")
        views(tree["public_faq"], day % 3, days_ago=day, visitor="p", audience="public")
        searches(
            "退款",
            3 + day % 4,
            days_ago=day,
            results=4,
            clicked=2 + day % 2,
            section=tree["refund"],
        )
        searches("发票", day % 3, days_ago=day)
    other = make_user("agent", username="agent-b")
    feedback(tree["sop"], other, helpful=True, rating=4, days_ago=3)
    return tree


def test_agent_feedback_reaches_the_manager_who_resolves_it(
    new_page, history, agent, manager, editor
):
    """The agent answers "not helpful" (the page does not reload), adds a reason and
    a comment; the manager sees it in the inbox, assigns it to the editor and
    resolves it with the current revision."""
    refund = history["refund"]
    page = new_page()
    login(page, "agent")
    page.goto(refund.get_absolute_url())
    survey = page.locator("#kb-survey")
    survey.scroll_into_view_if_needed()
    page.evaluate("window.kbMarker = 1")  # survives only if the page never reloads
    survey.locator("button.kb-survey-no").click()
    expect(page.locator("#kb-survey .kb-survey-thanks")).to_be_visible()
    page.locator("#kb-survey input[name=reasons][value=unclear]").check()
    page.locator("#kb-survey label.kb-survey-star").nth(1).click()
    page.locator("#kb-survey textarea[name=comment]").fill("第二步没有说明去哪里点。")
    # The answer replaces the survey box: wait for it, so nothing below reads the
    # box that is being replaced.
    with page.expect_response(
        lambda r: "/feedback/survey/" in r.url and r.request.method == "POST"
    ):
        page.locator("#kb-survey [data-kb-survey-save]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#kb-survey input[value=unclear]")).to_be_checked()
    assert page.evaluate("window.kbMarker") == 1
    screenshot(page.locator("#kb-survey").page, "survey")
    page.locator("#kb-survey").screenshot(path=str(screenshot_path("survey_box")))
    item = ArticleFeedback.objects.get(user=agent)
    assert (item.helpful, item.reason_list, item.rating) == (False, ["unclear"], 2)

    boss = new_page()
    login(boss, "manager")
    boss.locator(".kb-usernav a[href='/feedback/']").click()
    screenshot(boss, "dashboard_overview")
    boss.locator(".kb-dash-nav a[href='/feedback/inbox/']").click()
    row = boss.locator(f"tr[data-kb-feedback='{item.pk}']")
    expect(row).to_contain_text("退款政策")
    expect(row).to_contain_text("第二步没有说明去哪里点。")
    screenshot(boss, "dashboard_inbox")
    row.locator("a").first.click()
    expect(boss).to_have_url(re.compile(rf"/feedback/inbox/{item.pk}/$"))
    boss.locator("[data-kb-assign] select[name=assignee]").select_option(label="editor")
    boss.locator("[data-kb-assign] button[name=assign]").click()
    expect(boss.locator("[data-kb-assignee]")).to_have_text("editor")
    boss.locator("[data-kb-status-form] select[name=status]").select_option("resolved")
    boss.locator("[data-kb-status-form] button[name=set_status]").click()
    expect(boss.locator("[data-kb-status]")).to_have_class(
        re.compile("kb-status-resolved")
    )
    screenshot(boss, "dashboard_feedback_detail")
    item.refresh_from_db()
    assert item.status == Status.RESOLVED
    assert item.assignee == editor
    assert item.resolved_revision_id == refund.published_revision_id

    for path, name in [
        ("/feedback/content/?days=30", "dashboard_content"),
        (f"/feedback/content/{refund.pk}/?days=30", "dashboard_content_section"),
        ("/feedback/search/?days=30", "dashboard_search"),
    ]:
        boss.goto(path)
        expect(boss.locator("svg.kb-chart").first).to_be_visible()
        screenshot(boss, name)


def screenshot_path(name):
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_zero_result_search_appears_in_the_gap_queue(new_page, history, agent, manager):
    """An agent's search that finds nothing shows up, grouped by its normalized
    query, in the manager's knowledge-gap queue."""
    page = new_page()
    login(page, "agent")
    page.goto("/search/?q=xylophonequery")
    expect(page.locator(".kb-search-count")).to_be_visible()
    boss = new_page()
    login(boss, "manager")
    boss.goto("/feedback/gaps/")
    row = boss.locator("tr[data-kb-gap='zero:xylophonequery']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("xylophonequery")
    screenshot(boss, "dashboard_gaps")


def test_agents_question_becomes_an_faq_entry_search_finds(
    new_page, tree, agent, editor
):
    """An agent asks from an article; an editor answers it in the question queue; the
    agent is told in the site, and searching finds the new FAQ entry."""
    page = new_page()
    login(page, "agent")
    page.goto(tree["refund"].get_absolute_url())
    page.locator(".kb-ask-inline summary").click()
    page.locator("#kb-ask-text").fill("海外订单 zebrarefund 怎么退?")
    page.locator(".kb-ask-inline button[type=submit]").click()
    expect(page.locator(".kb-message-success")).to_be_visible()
    question = Question.objects.get()
    assert question.section_id == tree["refund"].pk

    desk = new_page()
    login(desk, "editor")
    desk.goto("/faq/questions/")
    screenshot(desk, "faq_queue")
    desk.locator(f"tr[data-kb-question='{question.pk}'] a").first.click()
    desk.locator("[data-kb-answer] textarea[name=answer]").fill(
        "海外订单 zebrarefund 请走**国际退货**流程,运费由客户承担。"
    )
    desk.locator("[data-kb-answer] input[name=new_category]").fill("退款")
    screenshot(desk, "faq_answer")
    desk.locator("[data-kb-answer] button[value=answer]").click()
    entry = Entry.objects.get()
    expect(desk).to_have_url(re.compile(rf"/faq/{entry.pk}/$"))
    expect(desk.locator("[data-kb-faq-answer] strong")).to_have_text("国际退货")

    page.goto("/")
    expect(page.locator(".kb-usernav .kb-unread")).to_have_text("1")
    page.goto("/search/?q=zebrarefund")
    # The hit links through the click recorder, like a section hit.
    result = page.locator(f".kb-results a[href*='faq={entry.pk}']")
    expect(result).to_be_visible()
    screenshot(page, "faq_in_search")
    result.click()
    expect(page).to_have_url(re.compile(rf"/faq/{entry.pk}/$"))
    expect(page.locator("h1")).to_contain_text("zebrarefund")
    event = SearchEvent.objects.get(normalized__contains="zebrarefund")
    assert event.clicked_faq_id == entry.pk and event.clicked_rank == 1
    page.goto("/faq/")
    screenshot(page, "faq_index")
