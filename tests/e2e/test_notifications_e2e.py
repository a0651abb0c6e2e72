"""Real-browser walk through watching and the bell.

An agent watches a section; a publisher edits and publishes it through the editor;
the agent's bell shows one unread notification; opening it lands on "what changed"
with the new words marked, and the bell goes back to zero. A minor edit rings
nothing. Screenshots: the bell with its count, the list, the changes page.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def publish_through_the_editor(page, section, body, *, minor=False):
    page.goto(f"/section/{section.pk}/edit/")
    page.fill("textarea[name=body]", body)
    if minor:
        page.check("input[name=minor]")
    with page.expect_navigation():
        page.click("button[name=publish]")


def test_watch_publish_bell_and_changes(new_page, tree, agent, publisher):
    reader = new_page(locale="en-US")
    login(reader, "agent")
    reader.goto(tree["refund"].get_absolute_url())
    with reader.expect_navigation():
        reader.click("form.kb-watch button[value=watch]")
    expect(reader.locator("form.kb-watch")).to_have_attribute(
        "data-kb-watch", "section"
    )
    expect(reader.locator(".kb-bell")).to_have_attribute("data-unread", "0")

    editor = new_page(locale="en-US")
    login(editor, "publisher")
    publish_through_the_editor(
        editor, tree["refund"], "## 规则\n\n退款 3 天内处理。", minor=True
    )
    reader.reload()
    expect(reader.locator(".kb-bell")).to_have_attribute("data-unread", "0")
    publish_through_the_editor(editor, tree["refund"], "## 规则\n\n退款 5 天内处理。")

    reader.reload()
    bell = reader.locator(".kb-bell")
    expect(bell).to_have_attribute("data-unread", "1")
    expect(bell.locator(".kb-unread")).to_have_text("1")
    screenshot(reader, "notifications-bell")
    bell.click()
    item = reader.locator("[data-kb-notification]")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("“退款政策” was updated")
    screenshot(reader, "notifications-list")
    with reader.expect_navigation():
        item.locator("button").click()
    assert "/changes/?since=" in reader.url
    expect(reader.locator("h1")).to_contain_text("What changed")
    expect(reader.locator(".kb-diff ins").first).to_contain_text("5")
    screenshot(reader, "notifications-changes")
    expect(reader.locator(".kb-bell")).to_have_attribute("data-unread", "0")
