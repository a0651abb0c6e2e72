"""Real-browser walk through reusable blocks (issue #4).

An editor with publish rights creates a block in the library, embeds it in two
sections through the editor's block picker, changes the block, reviews the impact and
publishes; both sections then show the new text and search finds both. Indexing runs
inline after each commit, as in production, into a fresh index folder.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from manuals.models import Block, Kind, Visibility
from manuals.search import reset_search_backend
from tests.e2e.conftest import screenshot
from tests.factories import make_admin, make_section, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

KEY = "refund-promise"
OLD_WORD = "zebrapromise"
NEW_WORD = "quokkapromise"


@pytest.fixture
def world(settings, tmp_path):
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index")},
    }
    reset_search_backend()
    call_command("setup_roles", verbosity=0)
    admin = make_admin("e2e-admin")
    make_user("editor", "publisher", username="blockeditor")
    help_root = make_section(
        title="帮助中心",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=admin,
    )
    manual = make_section(title="客服手册", kind=Kind.MANUAL, user=admin)
    public = make_section(
        help_root,
        title="退货说明",
        body="## 退货\n\n七天无理由退货。\n",
        visibility=Visibility.PUBLIC,
        user=admin,
    )
    internal = make_section(
        manual,
        title="退款话术",
        body="## 话术\n\n先道歉，再核实订单。\n",
        kind=Kind.SCENARIO,
        user=admin,
    )
    yield {"public": public, "internal": internal}
    reset_search_backend()


def login(page, username):
    """Log in through the login form's own button (the header has a search button)."""
    page.goto("/accounts/login/")
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill("pw")
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def embed_with_picker(page, section):
    """Open the section's editor, insert the block from the picker, publish."""
    page.goto(f"/section/{section.pk}/edit/")
    body = page.locator("textarea[name=body]")
    expect(body).to_be_visible()
    # Put the cursor at the end of the text, where the block goes.
    body.click()
    page.keyboard.press("Control+End")
    page.locator("[data-kb-picker-open]").click()
    page.locator("[data-kb-picker-q]").fill("refund")
    result = page.locator(f"[data-kb-picker-results] button[data-key='{KEY}']")
    expect(result).to_be_visible()
    result.click()
    expect(body).to_have_value(re.compile(r"\{\{block:" + KEY + r"\}\}"))
    # The live preview shows the embedded text.
    expect(page.locator("[data-kb-preview]")).to_contain_text(OLD_WORD)
    page.locator("button[name=publish]").click()
    expect(page).to_have_url(re.compile(rf"/s/{section.pk}/"))
    expect(page.locator(".kb-body div.kb-block")).to_contain_text(OLD_WORD)


def test_editor_creates_embeds_changes_and_publishes_a_block(page, world):
    """Create a block in the library, embed it in two sections with the picker,
    change it, see the impact (2 sections), publish: both sections show the new text
    and search lists both of them."""
    login(page, "blockeditor")

    # Create the block from the library.
    page.goto("/blocks/")
    page.locator("main a[href='/blocks/new/']").click()
    expect(page).to_have_url(re.compile(r"/blocks/new/$"))
    page.locator("input[name=key]").fill(KEY)
    page.locator("input[name=title]").fill("Refund promise")
    page.locator("select[name=visibility]").select_option("public")
    page.locator("textarea[name=body]").fill(
        f"We refund within **seven** days. {OLD_WORD}\n"
    )
    page.locator("button[name=publish]").click()
    expect(page).to_have_url(re.compile(rf"/blocks/{KEY}/$"))
    expect(page.locator("main h1")).to_contain_text("Refund promise")
    block = Block.objects.get(key=KEY)
    assert block.published_revision is not None

    # Embed it in two sections through the picker.
    for section in (world["public"], world["internal"]):
        embed_with_picker(page, section)

    # The block page lists both sections under "where used".
    page.goto(f"/blocks/{KEY}/")
    usages = page.locator("[data-kb-usages]")
    expect(usages).to_contain_text("退货说明")
    expect(usages).to_contain_text("退款话术")
    screenshot(page, "block_where_used")

    # Change the block and review the impact before publishing.
    page.locator(f"main a[href='/blocks/{KEY}/edit/']").click()
    page.locator("textarea[name=body]").fill(
        f"We refund within **five** days. {NEW_WORD}\n"
    )
    page.locator("button[name=publish]").click()  # "Save and review impact"
    expect(page).to_have_url(re.compile(rf"/blocks/{KEY}/publish/$"))
    impact = page.locator("[data-kb-impact]")
    expect(impact).to_contain_text(re.compile(r"\b2\b"))
    expect(impact).to_contain_text(re.compile(r"\b1\b"))  # one of them is public
    expect(page.locator("main h1")).to_contain_text(KEY)
    expect(page.locator("table.kb-diff")).to_be_visible()
    screenshot(page, "block_impact")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/blocks/{KEY}/$"))

    # Both sections show the new text, none the old.
    for section in (world["public"], world["internal"]):
        page.goto(f"/s/{section.pk}/")
        embedded = page.locator(".kb-body div.kb-block")
        expect(embedded).to_contain_text(NEW_WORD)
        expect(page.locator(".kb-body")).not_to_contain_text(OLD_WORD)
    expect(
        page.locator(f".kb-body div.kb-block a[href='/blocks/{KEY}/']")
    ).to_be_visible()
    screenshot(page, "block_section_page")

    # Search finds both sections by the new word, neither by the old.
    page.goto(f"/search/?q={NEW_WORD}")
    results = page.locator(".kb-result-title a")
    expect(results).to_have_count(2)
    # Hits link through the click counter, which names the section.
    hrefs = {results.nth(i).get_attribute("href") for i in range(2)}
    found = {int(re.search(r"section=(\d+)", h).group(1)) for h in hrefs}
    assert found == {world["public"].pk, world["internal"].pk}
    page.goto(f"/search/?q={OLD_WORD}")
    expect(page.locator(".kb-result-title a")).to_have_count(0)
