"""The staff interface on a phone (390 x 844): nothing wider than the screen, the
header folded behind a menu button with every control reachable, the contents and
the search filters behind their own buttons.

Selectors use ids, data attributes and URLs, not interface text. Screenshots land in
tests/e2e/screenshots/phone-*.png.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from manuals.blocks import services as block_services
from manuals.models import Kind, Visibility
from tests.e2e.conftest import screenshot
from tests.factories import make_section, make_user
from tests.feedback.factories import searches, views

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WIDE_TABLE = (
    "| 渠道 | 首次响应 | 升级时限 | 负责人 | 备注 | 适用范围 | 例外 |\n"
    "| --- | --- | --- | --- | --- | --- | --- |\n"
    "| 电话 | 30 秒内接听 | 10 分钟内转二线 | 值班组长 | "
    "VeryLongUnbreakableIdentifierWithoutSpaces_0123456789 | 全国 | 节假日另行安排 |\n"
)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def content(tree, admin_user):
    """The refund policy with a wide table, a code and an embedded script; a month
    of views and searches so the dashboard draws its charts."""
    block_services.block_create(
        key="apology",
        title="道歉话术",
        body="非常抱歉给您带来不便，我们会在 24 小时内为您处理。",
        visibility=Visibility.INTERNAL,
        user=admin_user,
        publish=True,
    )
    rich = make_section(
        tree["a"],
        title="退款话术",
        kind=Kind.SCENARIO,
        user=admin_user,
        body=(
            "## 规则\n\n退款 7 天内处理。\n\n"
            + WIDE_TABLE
            + "\n{{block:apology}}\n\n```\nREFUND-CODE-0001-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n```\n"
        ),
    )
    refund = tree["refund"]
    for day in range(30):
        views(refund, 3 + day % 5, days_ago=day, visitor=f"v{day % 3}")
        searches(
            "退款", 2 + day % 3, days_ago=day, results=3, clicked=1, section=refund
        )
        searches("发票", day % 2, days_ago=day)
    return {**tree, "rich": rich}


def login(page, username, password="pw"):
    page.goto("/accounts/login/")
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def assert_fits(page, name):
    """Nothing on the page is wider than the screen (no sideways scrolling)."""
    page.wait_for_load_state("networkidle")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                           && getComputedStyle(e).position !== 'fixed'
                           && !e.closest('.kb-table-scroll, pre, .kb-table, .kb-diff'))
              .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    screenshot(page, f"phone-{name}")
    # A phone zooms out to show a page wider than the screen, and its innerWidth
    # grows with it: the screen's own width is checked as well.
    assert sizes[0] <= sizes[1] == PHONE["width"], (name, sizes, wide)


def open_menu(page):
    toggle = page.locator("[data-kb-menu-toggle]")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#kb-usernav")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#kb-usernav")).to_be_visible()


def test_pages_fit_a_phone_screen(phone, content, admin_user):
    """Home, a section, search results, the section editor and (for a manager) the
    feedback dashboard are no wider than a 390 px screen."""
    login(phone, admin_user.username)
    phone.goto("/")
    assert_fits(phone, "home")
    rich = content["rich"]
    phone.goto(rich.get_absolute_url())
    # The wide table scrolls inside the article rather than widening the page.
    scroller = phone.locator(".kb-body .kb-table-scroll")
    expect(scroller).to_have_count(1)
    screenshot(phone, "phone-section-top")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")
    assert_fits(phone, "section")
    phone.goto(reverse("search:results") + "?q=退款")
    expect(phone.locator(".kb-result").first).to_be_visible()
    assert_fits(phone, "search")
    phone.goto(reverse("search:results") + "?q=zqxjvwkqz")
    expect(phone.locator("[data-kb-no-results]")).to_be_visible()
    assert_fits(phone, "search-none")
    phone.goto(reverse("manuals:edit", args=[rich.pk]))
    expect(phone.locator("textarea[name=body]")).to_be_visible()
    assert_fits(phone, "editor")

    make_user("manager", username="manager")
    phone.context.clear_cookies()
    login(phone, "manager")
    phone.goto(reverse("feedback:dashboard"))
    expect(phone.locator(".kb-dash-nav")).to_be_visible()
    assert_fits(phone, "dashboard")
    for tab in ("inbox", "gaps", "content", "search"):
        phone.goto(reverse(f"feedback:{tab}"))
        assert_fits(phone, f"dashboard-{tab}")
    open_menu(phone)
    assert_fits(phone, "dashboard-menu")


def test_every_header_control_is_reachable_from_the_menu(phone, content, admin_user):
    """Closed, the menu shows only the brand, the search box and its button; opened,
    every link, the bell, the user's name, log out and the language switch are
    on screen and clickable. Esc closes it again and gives focus back."""
    login(phone, admin_user.username)
    phone.goto(content["rich"].get_absolute_url())
    expect(phone.locator("#kb-search-q")).to_be_visible()
    open_menu(phone)
    nav = phone.locator("#kb-usernav")
    controls = nav.locator("a, button, select")
    hrefs = nav.locator("a").evaluate_all("links => links.map(a => a.pathname)")
    for expected in (
        reverse("manuals:blocks"),
        reverse("manuals:reviews"),
        reverse("manuals:audit"),
        reverse("manuals:trash"),
        reverse("faq:index"),
        reverse("feedback:dashboard"),
        reverse("notifications:index"),
        reverse("admin:index"),
    ):
        assert expected in hrefs, (expected, hrefs)
    count = controls.count()
    assert count >= 10
    for i in range(count):
        control = controls.nth(i)
        expect(control).to_be_visible()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        control.scroll_into_view_if_needed()
        control.click(trial=True)  # visible, enabled, not covered by anything
    expect(nav.locator(".kb-user")).to_be_visible()
    expect(nav.locator(".kb-bell")).to_be_visible()
    expect(nav.locator("#kb-lang")).to_be_visible()
    screenshot(phone, "phone-menu")

    nav.locator("a").first.focus()
    phone.keyboard.press("Escape")
    toggle = phone.locator("[data-kb-menu-toggle]")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(toggle).to_be_focused()

    # Log out works from the opened menu.
    open_menu(phone)
    with phone.expect_navigation():
        nav.locator("form[action$='/logout/'] button").click()
    expect(phone.locator("input[name=username]")).to_be_visible()


def test_language_switch_in_the_menu(phone, content, agent):
    """The language switch inside the opened menu changes the interface language."""
    login(phone, "agent")
    phone.goto("/")
    open_menu(phone)
    with phone.expect_navigation():
        phone.locator("#kb-lang").select_option("en")
    expect(phone.locator("html")).to_have_attribute("lang", "en")


def test_contents_and_filters_fold_behind_buttons(phone, content, agent):
    """The sidebar tree waits behind "Contents" and the search facets behind
    "Filter"; results come first."""
    login(phone, "agent")
    phone.goto(content["refund"].get_absolute_url())
    contents = phone.locator("[data-kb-toggle-sidebar]")
    tree = phone.locator("#kb-tree")
    expect(contents).to_have_attribute("aria-expanded", "false")
    expect(tree).to_be_hidden()
    body_top = phone.locator(".kb-article h1").bounding_box()["y"]
    assert body_top < 300, body_top  # the article starts near the top
    contents.click()
    expect(contents).to_have_attribute("aria-expanded", "true")
    expect(tree).to_be_visible()
    expect(tree.locator(f"li[data-kb-node='{content['refund'].pk}']")).to_be_visible()
    screenshot(phone, "phone-contents")
    contents.click()
    expect(tree).to_be_hidden()

    phone.goto(reverse("search:results") + "?q=退款")
    facets = phone.locator("#kb-facets")
    toggle = phone.locator("[data-kb-facets-toggle]")
    first_result = phone.locator(".kb-result").first
    expect(first_result).to_be_visible()
    expect(facets).to_be_hidden()
    assert first_result.bounding_box()["y"] < 400
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(facets.locator("[data-facet]").first).to_be_visible()
    screenshot(phone, "phone-search-filters")
    phone.keyboard.press("Escape")
    expect(facets).to_be_hidden()


def test_desktop_keeps_the_header_and_sidebar_open(page, content, agent):
    """At desktop width there is no menu, contents or filter button: the links,
    the tree and the facets are simply there."""
    login(page, "agent")
    page.goto(content["refund"].get_absolute_url())
    expect(page.locator("[data-kb-menu-toggle]")).to_be_hidden()
    expect(page.locator("[data-kb-toggle-sidebar]")).to_be_hidden()
    expect(page.locator("#kb-usernav")).to_be_visible()
    expect(page.locator("#kb-tree")).to_be_visible()
    assert page.locator(".kb-header").bounding_box()["height"] <= 53
    screenshot(page, "desktop-section")
    page.goto(reverse("search:results") + "?q=退款")
    expect(page.locator("[data-kb-facets-toggle]")).to_be_hidden()
    expect(page.locator("#kb-facets [data-facet]").first).to_be_visible()
    screenshot(page, "desktop-search")


def test_without_script_nothing_is_folded_away(browser, live_server, content, agent):
    """With script off the buttons could not open anything: the links, the tree and
    the facets are simply shown (nojs.css), results before facets."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, "agent")
        page.goto(content["refund"].get_absolute_url())
        expect(page.locator("[data-kb-menu-toggle]")).to_be_hidden()
        expect(page.locator("#kb-usernav a").first).to_be_visible()
        expect(page.locator("#kb-tree")).to_be_visible()
        assert_fits(page, "nojs-section")
        page.goto(reverse("search:results") + "?q=退款")
        facets = page.locator("#kb-facets")
        expect(facets).to_be_visible()
        first = page.locator(".kb-result").first
        assert first.bounding_box()["y"] < facets.bounding_box()["y"]
    finally:
        context.close()


def test_a_manual_page_fits(phone, content, admin_user):
    """A manual page (a container) fits too: its children list as cards."""
    login(phone, admin_user.username)
    manual = content["manual"]
    assert manual.kind == Kind.MANUAL
    phone.goto(manual.get_absolute_url())
    assert_fits(phone, "manual")
