"""The managers' dashboard: who may see it, triage through the pages, CSV downloads."""

import csv
import io

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from feedback.models import ArticleFeedback, Gap, GapKind, Status
from tests.feedback.factories import feedback, searches, views

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


PAGES = [
    ("feedback:dashboard", []),
    ("feedback:inbox", []),
    ("feedback:gaps", []),
    ("feedback:content", []),
    ("feedback:search", []),
]


@pytest.fixture
def some_data(tree, agent):
    views(tree["refund"], 3, days_ago=0, user=agent)
    views(tree["sop"], 2, days_ago=4, visitor="v")
    searches("退款", 2, days_ago=1)
    searches("退货", 3, days_ago=0, results=4, clicked=1, section=tree["sop"])
    return feedback(
        tree["refund"],
        agent,
        helpful=False,
        reasons=["wrong"],
        comment='<script>alert("x")</script>\n第二行',
        rating=1,
    )


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_agents_cannot_see_the_dashboard(agent_client, tree, name, args):
    """Agents get 403 on every dashboard page."""
    assert agent_client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_visitors_are_sent_to_login(client, db, name, args):
    """The public never sees the dashboard: they are sent to the login page."""
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize("days", ["7", "30", "90", "bogus"])
def test_managers_see_every_page(manager_client, some_data, name, args, days):
    """Managers open every dashboard page for each period; charts are inline SVG."""
    response = manager_client.get(reverse(name, args=args), {"days": days})
    assert response.status_code == 200
    html = response.content.decode()
    if name in ("feedback:dashboard", "feedback:content", "feedback:search"):
        assert "<svg" in html and "<polyline" in html


def test_dashboard_link_only_for_managers(manager_client, agent, tree):
    """The header shows the dashboard link to managers only."""
    link = f'href="{reverse("feedback:dashboard")}"'
    html = manager_client.get(reverse("home")).content.decode()
    assert link in html
    manager_client.force_login(agent)
    html = manager_client.get(reverse("home")).content.decode()
    assert link not in html


def test_comment_is_shown_as_plain_text(manager_client, some_data):
    """A comment is escaped, never interpreted as HTML."""
    html = manager_client.get(
        reverse("feedback:detail", args=[some_data.pk])
    ).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_manager_assigns_and_resolves_feedback(manager_client, some_data, editor, tree):
    """A manager assigns the item to an editor (in progress), then resolves it with
    the revision that fixed it; the section's history block lists it."""
    url = reverse("feedback:detail", args=[some_data.pk])
    response = manager_client.post(url, {"assign": "1", "assignee": editor.pk})
    assert response.status_code == 302
    some_data.refresh_from_db()
    assert some_data.assignee == editor
    assert some_data.status == Status.IN_PROGRESS
    revision = tree["refund"].published_revision
    manager_client.post(
        url, {"set_status": "1", "status": "resolved", "revision": revision.pk}
    )
    some_data.refresh_from_db()
    assert some_data.status == Status.RESOLVED
    assert some_data.resolved_revision == revision
    assert some_data.resolved_at is not None
    request = RequestFactory().get("/")
    request.user = some_data.resolved_by
    html = Template("{% load feedback_tags %}{% resolved_feedback section %}").render(
        Context({"section": tree["refund"], "request": request})
    )
    assert f"#{revision.number}" in html
    assert reverse("feedback:detail", args=[some_data.pk]) in html


def test_resolving_needs_a_revision_of_the_same_section(
    manager_client, some_data, tree
):
    """A revision of another section is refused; the item stays open."""
    url = reverse("feedback:detail", args=[some_data.pk])
    manager_client.post(
        url,
        {
            "set_status": "1",
            "status": "resolved",
            "revision": tree["sop"].published_revision_id,
        },
    )
    some_data.refresh_from_db()
    assert some_data.status == Status.NEW


def test_agents_cannot_triage(agent_client, some_data):
    """Agents cannot change feedback, even by posting directly."""
    url = reverse("feedback:detail", args=[some_data.pk])
    assert (
        agent_client.post(url, {"set_status": "1", "status": "dismissed"}).status_code
        == 403
    )
    assert ArticleFeedback.objects.get().status == Status.NEW


def test_gap_actions_through_the_page(manager_client, some_data, editor, tree):
    """Managers assign, resolve (with a section) and reopen gaps from the queue."""
    url = reverse("feedback:gap_action")
    base = {"kind": GapKind.ZERO_RESULTS, "key": "退款", "next": "/feedback/gaps/"}
    manager_client.post(url, {**base, "action": "assign", "assignee": editor.pk})
    assert Gap.objects.get().assignee == editor
    html = manager_client.get(reverse("feedback:gaps")).content.decode()
    assert "退款" in html and "editor" in html
    manager_client.post(url, {**base, "action": "resolve"})
    assert Gap.objects.get().status == Status.IN_PROGRESS  # no section: refused
    manager_client.post(url, {**base, "action": "resolve", "section": tree["sop"].pk})
    gap = Gap.objects.get()
    assert (gap.status, gap.answer_section) == (Status.RESOLVED, tree["sop"])
    html = manager_client.get(
        reverse("feedback:gaps"), {"status": "resolved"}
    ).content.decode()
    assert "0 searches, 0 clicked" in html or "0 次搜索" in html
    manager_client.post(url, {**base, "action": "new"})
    assert Gap.objects.get().status == Status.NEW


def test_gap_action_redirect_stays_on_site(manager_client, some_data):
    """The `next` of a gap action never leads off the site."""
    response = manager_client.post(
        reverse("feedback:gap_action"),
        {
            "kind": "zero",
            "key": "退款",
            "action": "dismissed",
            "next": "//evil.example/",
        },
    )
    assert response["Location"] == reverse("feedback:gaps")


def read_csv(response):
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_inbox_csv(manager_client, some_data):
    """The inbox downloads as UTF-8 CSV with a BOM; Chinese and newlines survive."""
    response = manager_client.get(reverse("feedback:inbox"), {"csv": "feedback"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 2
    assert rows[1][1] == "退款政策"
    assert rows[1][6] == '<script>alert("x")</script>\n第二行'


@pytest.mark.parametrize(
    ("name", "slug", "first_cell"),
    [
        ("feedback:content", "most-viewed", "退款政策"),
        ("feedback:content", "least-viewed", None),
        ("feedback:content", "stale", None),
        ("feedback:search", "top-queries", "退货"),
        ("feedback:search", "search-daily", None),
        ("feedback:gaps", "gaps", None),
    ],
)
def test_every_table_downloads_as_csv(
    manager_client, some_data, name, slug, first_cell
):
    """Each report table has its CSV, with the same header as on the page."""
    response = manager_client.get(reverse(name), {"csv": slug, "days": "7"})
    assert response.status_code == 200
    rows = read_csv(response)
    assert rows[0]  # header
    if first_cell:
        assert rows[1][0] == first_cell


def test_content_csv_numbers(manager_client, some_data):
    """The most-viewed CSV carries the numbers of the page (3 views, 1 reader)."""
    rows = read_csv(
        manager_client.get(
            reverse("feedback:content"), {"csv": "most-viewed", "days": "7"}
        )
    )
    assert rows[1][:3] == ["退款政策", "3", "1"]


def test_unknown_csv_is_404(manager_client, some_data):
    assert (
        manager_client.get(reverse("feedback:content"), {"csv": "nope"}).status_code
        == 404
    )


def test_csv_cells_cannot_become_formulas(manager_client, tree, agent):
    """A comment starting with = is written with a leading quote (CSV injection)."""
    feedback(tree["refund"], agent, helpful=False, comment='=HYPERLINK("x")')
    rows = read_csv(manager_client.get(reverse("feedback:inbox"), {"csv": "feedback"}))
    assert rows[1][6].startswith("'=")


def test_section_trend_page(manager_client, some_data, tree):
    """A section's trend page charts views and answers and lists them per day."""
    url = reverse("feedback:content_section", args=[tree["refund"].pk])
    html = manager_client.get(url, {"days": "7"}).content.decode()
    assert html.count("<svg") >= 2
    rows = read_csv(manager_client.get(url, {"days": "7", "csv": "section-daily"}))
    assert len(rows) == 8
    assert rows[-1][1:] == ["3", "1", "0", "1"]
