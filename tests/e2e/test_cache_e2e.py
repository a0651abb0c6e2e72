"""Real-browser checks that cached pages never show an old manual.

An admin renames a section in the Django admin while an agent has the page open;
the agent's next view shows the new title and the admin finds the change in the
audit log. An agent who answered a survey logs out and in again and still sees
their answer.
"""

import pytest
from playwright.sync_api import expect

from manuals.models import Section
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_change_shows_at_once_and_is_audited(new_page, tree, agent, admin_user):
    sop = Section.objects.get(pk=tree["sop"].pk)
    reader = new_page()
    login(reader, "agent")
    reader.goto(sop.get_absolute_url())
    expect(reader.locator("h1")).to_have_text("退货流程")  # now cached

    admin = new_page()
    login(admin, "admin")
    admin.goto(f"/admin/manuals/section/{sop.pk}/change/")
    admin.fill("#id_title", "退货流程（2026 版）")
    with admin.expect_navigation():
        admin.click("input[name=_save]")
    expect(admin.locator(".messagelist")).to_be_visible()

    reader.reload()
    expect(reader.locator("h1")).to_have_text("退货流程（2026 版）")
    expect(reader.locator(".kb-breadcrumbs")).to_contain_text("退货流程（2026 版）")

    admin.goto("/audit/")
    row = admin.locator("tr", has_text="在管理后台修改").first
    expect(row).to_contain_text("退货流程（2026 版）")
    screenshot(admin, "audit-admin-change")


def test_survey_answer_is_remembered_across_sessions(page, tree, agent):
    refund = Section.objects.get(pk=tree["refund"].pk)
    login(page, "agent")
    page.goto(refund.get_absolute_url())
    page.click(".kb-survey-yes")
    expect(page.locator(".kb-survey-thanks")).to_be_visible()

    with page.expect_navigation():
        page.click("form[action='/accounts/logout/'] button")
    login(page, "agent")
    page.goto(refund.get_absolute_url())
    expect(page.locator(".kb-survey-yes")).to_have_class(
        "kb-button kb-survey-yes is-chosen"
    )
    expect(page.locator(".kb-survey-thanks")).to_be_visible()
    screenshot(page, "survey-remembered")
