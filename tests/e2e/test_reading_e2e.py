"""Everyday reading in a real browser: copying an embedded script or a code to the
clipboard, printing a section, the keyboard shortcuts (/ to search, Ctrl+S to save
in the editors, Esc to close), admonitions and the page of a search that found
nothing.

The pages are asked for in English (the browser's locale) where the test reads
interface text; otherwise selectors use ids, data attributes and URLs.
"""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from manuals.blocks import services as block_services
from manuals.models import Block, Kind, Revision, Visibility
from tests.e2e.conftest import screenshot
from tests.factories import make_section
from tests.feedback.factories import views

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCRIPT = "非常抱歉给您带来不便。\n\n我们会在 **24 小时内**为您处理。"
CODE = "ORDER-2024-0001\nREFUND-OK"


@pytest.fixture
def english(browser, live_server):
    """A browser context in English, allowed to read and write the clipboard."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def article(tree, admin_user):
    block_services.block_create(
        key="apology",
        title="道歉话术",
        body=SCRIPT,
        visibility=Visibility.INTERNAL,
        user=admin_user,
        publish=True,
    )
    return make_section(
        tree["b"],
        title="投诉处理",
        kind=Kind.SCENARIO,
        user=admin_user,
        body=(
            "## 开场\n\n先倾听。\n\n{{block:apology}}\n\n"
            f"```\n{CODE}\n```\n\n"
            '!!! warning\n    不要承诺赔偿。\n\n!!! tip "小提示"\n    记下订单号。\n'
        ),
    )


def login(page, username, password="pw"):
    page.goto("/accounts/login/")
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def clipboard(page) -> dict:
    """What the clipboard holds: its plain text, and its HTML when there is some."""
    return page.evaluate(
        """async () => {
            const out = {text: await navigator.clipboard.readText(), html: ''};
            for (const item of await navigator.clipboard.read()) {
                if (item.types.includes('text/html')) {
                    out.html = await (await item.getType('text/html')).text();
                }
            }
            return out;
        }"""
    )


def test_copy_an_embedded_script_and_a_code(english, article, agent):
    """Each embedded block and each code block has a copy button; clicking it puts
    the plain text (and rich text) on the clipboard and says so."""
    login(english, "agent")
    english.goto(article.get_absolute_url())
    block = english.locator(".kb-body .kb-block")
    button = block.locator("> button.kb-copy")
    expect(button).to_have_text("Copy")
    screenshot(english, "copy-buttons")
    button.click()
    expect(button).to_have_text("Copied")
    copied = clipboard(english)
    assert copied["text"] == "非常抱歉给您带来不便。\n\n我们会在 24 小时内为您处理。"
    assert "<strong>24 小时内</strong>" in copied["html"]
    assert "Copy" not in copied["text"]
    expect(button).to_have_text("Copy", timeout=5_000)  # the feedback fades

    code_button = english.locator(".kb-body .kb-code > button.kb-copy")
    expect(code_button).to_have_count(1)
    code_button.click()
    expect(code_button).to_have_text("Copied")
    assert clipboard(english)["text"] == CODE


def test_copy_leaves_out_the_editors_label(english, article, admin_user):
    """Editors see each block's title above it; the copy is the script alone."""
    login(english, admin_user.username)
    english.goto(article.get_absolute_url())
    block = english.locator(".kb-body .kb-block")
    expect(block.locator(".kb-block-label")).to_be_visible()
    button = block.locator("> button.kb-copy")
    button.click()
    expect(button).to_have_text("Copied")
    text = clipboard(english)["text"]
    assert "道歉话术" not in text
    assert text.startswith("非常抱歉")


def test_print_shows_the_article_alone(english, article, agent):
    """Printed, a section is its breadcrumbs, title, revision line and text: no
    header, sidebar, survey or buttons."""
    login(english, "agent")
    english.goto(article.get_absolute_url())
    expect(english.locator(".kb-body .kb-copy").first).to_be_visible()
    english.emulate_media(media="print")
    for hidden in (
        ".kb-header",
        ".kb-sidebar",
        "#kb-survey",
        ".kb-prevnext",
        ".kb-body .kb-copy",
    ):
        expect(english.locator(hidden).first).to_be_hidden()
    expect(english.locator(".kb-article h1")).to_have_text("投诉处理")
    crumbs = english.locator("nav.kb-breadcrumbs")
    expect(crumbs).to_be_visible()
    expect(crumbs.get_by_role("link", name="第二章 话术")).to_be_visible()
    revision = english.locator("[data-kb-revision]")
    expect(revision).to_be_visible()
    expect(revision).to_contain_text(f"Revision {article.published_revision.number}")
    expect(revision).to_contain_text(
        article.published_revision.created.strftime("%Y-%m-%d")
    )
    expect(english.locator(".kb-body .kb-block")).to_contain_text("非常抱歉")
    screenshot(english, "print")
    english.emulate_media(media="screen")
    expect(english.locator(".kb-header")).to_be_visible()


def test_admonitions_in_the_readers_language(english, article, agent):
    """`!!! warning` is titled in the interface language; the author's own title
    stays as written."""
    login(english, "agent")
    english.goto(article.get_absolute_url())
    titles = english.locator(".kb-body .admonition-title")
    expect(titles).to_have_text(["Warning", "小提示"])


def test_slash_focuses_search_unless_typing(english, article, agent):
    """ "/" jumps to the search box from anywhere on the page, but types a slash
    when the cursor is already in a field."""
    login(english, "agent")
    english.goto(article.get_absolute_url())
    english.locator(".kb-article h1").click()
    english.keyboard.press("/")
    search = english.locator("#kb-search-q")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash was not typed into it
    english.keyboard.type("退款/退货")
    expect(search).to_have_value("退款/退货")

    english.goto(reverse("search:results") + "?q=zqxjvwkqz")
    english.locator("h1").click()
    english.keyboard.press("/")
    expect(english.locator("#kb-search-page-q")).to_be_focused()


def test_shortcuts_page_from_the_search_tips(english, agent):
    """The search tips link to the list of keyboard shortcuts."""
    login(english, "agent")
    english.goto(reverse("search:help"))
    english.locator(f"a[href='{reverse('search:keys')}']").click()
    expect(english).to_have_url(re.compile(r"/search/keys/$"))
    expect(english.locator("table.kb-keys kbd").first).to_have_text("/")
    screenshot(english, "keyboard-shortcuts")


def test_ctrl_s_saves_in_the_section_editor(english, article, admin_user):
    """Ctrl+S in the section editor saves a draft (the save button's action) and
    the browser's own save dialog never opens."""
    login(english, admin_user.username)
    english.goto(reverse("manuals:edit", args=[article.pk]))
    body = english.locator("textarea[name=body]")
    body.fill("## 开场\n\n用 Ctrl+S 保存。")
    before = Revision.objects.filter(section=article).count()
    with english.expect_navigation():
        body.press("Control+s")
    expect(english).to_have_url(re.compile(rf"/s/{article.pk}/"))
    assert Revision.objects.filter(section=article).count() == before + 1
    head = Revision.objects.filter(section=article).latest("number")
    assert head.body == "## 开场\n\n用 Ctrl+S 保存。"
    article.refresh_from_db()
    assert article.published_revision_id != head.pk  # a draft, not published


def test_meta_s_saves_in_the_block_editor(english, article, admin_user):
    """Cmd+S (Meta+S) saves in the block editor too."""
    login(english, admin_user.username)
    english.goto(reverse("manuals:block_edit", args=["apology"]))
    body = english.locator("textarea[name=body]")
    body.fill("您好，非常抱歉。")
    with english.expect_navigation():
        body.press("Meta+s")
    block = Block.objects.get(key="apology")
    assert block.revisions.latest("number").body == "您好，非常抱歉。"


def test_ctrl_s_elsewhere_is_left_alone(english, article, agent):
    """Outside the editors the shortcut is not taken over."""
    login(english, "agent")
    english.goto(article.get_absolute_url())
    prevented = english.evaluate(
        """() => {
            const e = new KeyboardEvent('keydown', {key: 's', ctrlKey: true,
                                                    bubbles: true, cancelable: true});
            document.body.dispatchEvent(e);
            return e.defaultPrevented;
        }"""
    )
    assert prevented is False


def test_zero_results_page(english, article, tree, agent):
    """A search that finds nothing says so and offers the FAQ, what is read most
    and a question to the editors, prefilled with the query."""
    views(tree["sop"], 9, days_ago=1, user=agent)
    login(english, "agent")
    english.goto(reverse("search:results") + "?q=zqxjvwkqz")
    page = english.locator("[data-kb-no-results]")
    expect(page).to_contain_text("No section you may read matches these words.")
    expect(page.locator("[data-kb-no-results-faq] a")).to_have_attribute(
        "href", reverse("faq:index")
    )
    expect(page.locator("[data-kb-popular] li").first).to_contain_text("退货流程")
    expect(page.locator("[data-kb-ask-part]")).to_contain_text("editors")
    expect(page.locator("#kb-ask-text")).to_have_value("zqxjvwkqz")
    screenshot(english, "search-no-results")
