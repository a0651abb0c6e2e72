"""Real-browser walks through the public portal and its static export.

An anonymous visitor browses /help/, searches in Chinese and rates an article; the
static export's client-side search runs in Chromium from file:// and finds Chinese
(Simplified and Traditional) and English. Screenshots: portal home, an article on a
desktop and a 390px phone, live and static search results.
"""

import pytest
from playwright.sync_api import expect

from feedback.models import ArticleFeedback
from manuals.transfer.export_static import export_portal
from tests.e2e.conftest import screenshot
from tests.manuals.portal import conftest as portal_fixtures

CANARIES = portal_fixtures.CANARIES
# The portal tests' fixtures, used here too.
portal = portal_fixtures.portal
search_index = portal_fixtures.search_index

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_anonymous_visitor_browses_searches_and_rates(new_page, portal):
    """Home -> topic -> article, a Chinese search with highlights, and a "Yes" on
    the survey, all without logging in; no internal text anywhere on the way."""
    page = new_page()
    page.goto("/help/")
    expect(page.locator("h1")).to_have_text("有什么可以帮您？")
    screenshot(page, "portal_home")
    page.get_by_role("link", name="配送说明").first.click()
    expect(page.locator("h1")).to_have_text("配送说明")
    page.locator(".portal-children").get_by_role("link", name="退款多久到账").click()
    expect(page.locator("h1")).to_have_text("退款多久到账")
    expect(page.locator(".portal-crumbs")).to_contain_text("配送说明")
    screenshot(page, "portal_article_desktop")
    for canary in CANARIES:
        assert canary not in page.content()

    page.fill("#portal-q-top", "退款 到账")
    page.press("#portal-q-top", "Enter")
    expect(page.locator(".portal-results li").first).to_contain_text("退款多久到账")
    expect(page.locator(".portal-results mark").first).to_be_visible()
    screenshot(page, "portal_search")

    page.locator(".portal-results a").first.click()
    page.get_by_role("button", name="是").click()
    expect(page.locator(".kb-survey-thanks")).to_be_visible()
    assert ArticleFeedback.objects.filter(
        section=portal["refund_public"], helpful=True
    ).exists()


def test_article_reads_well_on_a_phone(browser, live_server, portal):
    """On a 390px-wide screen the article has no sideways scrolling."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="zh-CN"
    )
    try:
        page = context.new_page()
        refund = portal["refund_public"]
        page.goto(f"/help/a/{refund.pk}/{refund.slug}/")
        expect(page.locator("h1")).to_have_text("退款多久到账")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        screenshot(page, "portal_article_mobile")
        page.goto("/help/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "portal_home_mobile")
    finally:
        context.close()


def test_static_export_search_works_from_file_urls(browser, portal, tmp_path):
    """The exported search page, opened from file://, finds Simplified Chinese,
    Traditional text with a Simplified query (and the reverse), English words and
    FAQ answers, and links that open the article."""
    out = tmp_path / "site"
    export_portal(out, live_url="")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        base = out.as_uri()

        def results(query):
            page.goto(f"{base}/search.html?q={query}")
            return page.locator("#portal-search-results li")

        expect(results("退款").first).to_contain_text("退款多久到账")
        expect(page.locator("#portal-search-results mark").first).to_have_text("退款")
        screenshot(page, "portal_static_search")
        expect(results("订单查询").first).to_contain_text("訂單查詢")
        expect(results("退款多久").first).to_contain_text("退款多久到账")
        expect(results("到賬").first).to_contain_text("退款多久到账")
        expect(results("receipts").first).to_contain_text("退款多久到账")
        expect(results("修改密码").first).to_contain_text("如何修改密码")
        expect(results("秘密条款")).to_have_count(0)
        expect(results("CANARY")).to_have_count(0)
        results("退款").first.locator("a").click()
        expect(page.locator("h1")).to_have_text("退款多久到账")
        assert page.url.startswith("file://")
        page.locator(".portal-nav a").first.click()
        expect(page.locator("h1")).to_have_text("有什么可以帮您？")
    finally:
        context.close()
