"""Real-browser walks through the manual: reading, editing, history, moving, creating.

Chromium (through Playwright) talks to pytest-django's live server. Selectors use ids,
names, data attributes, URLs and the fixture's Chinese titles rather than interface
text, so the tests hold whether or not the Chinese catalog is compiled.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from manuals.kinds import starting_body
from manuals.models import Kind, Revision, Section
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TREE_ITEM = "li.kb-tree-item[data-kb-node='{}']"


def login(page, username, password="pw"):
    """Log in through the real login form.

    Like conftest.login, but clicks the login form's own button: the header's search
    box also has a submit button, and a bare "button[type=submit]" finds that first.
    """
    page.goto("/accounts/login/")
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def section_url(pk):
    return re.compile(rf"/s/{pk}/")


def breadcrumb_titles(page):
    return page.locator("nav.kb-breadcrumbs li").all_inner_texts()


def edit_section(page, pk, body, *, publish=False):
    """Open the editor of section `pk`, replace the body and save (or publish)."""
    page.goto(f"/s/{pk}/")
    page.locator(f"nav.kb-actions a[href$='/section/{pk}/edit/']").click()
    page.locator("textarea[name=body]").fill(body)
    page.locator("button[name=publish]" if publish else "button[name=save]").click()
    expect(page).to_have_url(section_url(pk))


def test_agent_reads_a_manual_through_the_sidebar(page, new_page, tree, agent):
    """An agent logs in through the form and lands on home, which lists the manuals
    and the recently updated sections. Opening a manual, a collapsed chapter in the
    sidebar expands and loads its children on demand; following one shows the section
    with breadcrumbs, and the "next" link leads on in reading order. An anonymous
    visitor asking for a section is sent to the login page instead."""
    login(page, "agent")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".kb-user")).to_have_text("agent")

    manuals = page.locator(".kb-home-grid .kb-card-list")
    expect(manuals.get_by_role("link", name="客服手册")).to_be_visible()
    expect(manuals.get_by_role("link", name="帮助中心")).to_be_visible()
    recent = page.locator("ol.kb-recent li")
    expect(recent.first).to_be_visible()
    expect(
        page.locator("ol.kb-recent").get_by_role("link", name="退款政策")
    ).to_be_visible()
    screenshot(page, "home")

    manuals.get_by_role("link", name="客服手册").click()
    expect(page).to_have_url(section_url(tree["manual"].pk))
    expect(page.locator(".kb-article h1")).to_have_text("客服手册")

    # Chapter A is in the sidebar, collapsed: its children are not even in the page.
    chapter = page.locator(TREE_ITEM.format(tree["a"].pk))
    toggle = chapter.locator("> button.kb-tree-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    refund_item = chapter.locator(TREE_ITEM.format(tree["refund"].pk))
    expect(refund_item).to_have_count(0)
    with page.expect_response(re.compile(rf"/section/{tree['a'].pk}/children/$")):
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(refund_item).to_be_visible()
    expect(chapter.locator(TREE_ITEM.format(tree["sop"].pk))).to_be_visible()

    refund_item.get_by_role("link", name="退款政策").click()
    expect(page).to_have_url(section_url(tree["refund"].pk))
    expect(page.locator(".kb-article h1")).to_have_text("退款政策")
    expect(page.locator(".kb-body h2")).to_have_text("规则")
    crumbs = breadcrumb_titles(page)
    assert crumbs[1:] == ["客服手册", "第一章 政策", "退款政策"], crumbs
    expect(page.locator("nav.kb-breadcrumbs li[aria-current=page]")).to_have_text(
        "退款政策"
    )
    expect(page.locator(TREE_ITEM.format(tree["refund"].pk))).to_have_class(
        re.compile(r"\bis-current\b")
    )
    screenshot(page, "section")

    next_link = page.locator(".kb-prevnext a[rel=next]")
    expect(next_link).to_contain_text("退货流程")
    next_link.click()
    expect(page).to_have_url(section_url(tree["sop"].pk))
    expect(page.locator(".kb-article h1")).to_have_text("退货流程")
    expect(page.locator(".kb-prevnext a[rel=prev]")).to_contain_text("退款政策")

    anonymous = new_page()
    anonymous.goto(f"/s/{tree['refund'].pk}/")
    expect(anonymous).to_have_url(re.compile(r"/accounts/login/\?next=.*/s/"))
    expect(anonymous.locator("input[name=username]")).to_be_visible()
    assert "INTERNAL-CANARY" not in anonymous.content()
    screenshot(anonymous, "login")
    # The header names the knowledge base on the login page too, not the host.
    expect(anonymous.locator(".kb-brand")).to_have_text(settings.KB_SITE_NAME)


def test_publisher_edits_with_live_preview_then_publishes(page, tree, publisher):
    """A publisher opens the editor and types markdown; the live preview renders the
    heading and the table through the server. Saving makes a draft (the draft banner
    shows, readers still see the old text); publishing puts the new text on the page."""
    refund = tree["refund"]
    login(page, "publisher")
    page.goto(f"/s/{refund.pk}/")
    page.locator(f"nav.kb-actions a[href$='/section/{refund.pk}/edit/']").click()
    expect(page).to_have_url(re.compile(rf"/section/{refund.pk}/edit/$"))

    body = page.locator("textarea[name=body]")
    expect(body).to_have_value(re.compile("INTERNAL-CANARY"))
    body.fill("")
    body.press_sequentially("## 退款时限\n\n", delay=0)
    body.press_sequentially(
        "| 渠道 | 时限 |\n| --- | --- |\n| 线上 | 7 天 |\n| 门店 | 15 天 |\n\n"
        "新规则 E2E-NEW-TEXT",
        delay=0,
    )
    preview = page.locator("[data-kb-preview]")
    expect(preview.locator("h2")).to_have_text("退款时限")
    expect(preview.locator("table th")).to_have_text(["渠道", "时限"])
    expect(preview.locator("table tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("E2E-NEW-TEXT")
    screenshot(page, "editor_preview")

    page.locator("input[name=message]").fill("退款时限表")
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    expect(page.locator(".kb-article .kb-banner-draft")).to_be_visible()
    # Saving should land on the draft view (?draft=1). Checked at the end, so that a
    # regression there still lets the publish half of the walk run.
    landed_on = page.url
    landed_on_draft = page.locator(".kb-body h2", has_text="退款时限").count() == 1

    page.goto(f"/s/{refund.pk}/")  # readers still see the published text
    expect(page.locator(".kb-body")).to_contain_text("INTERNAL-CANARY")
    page.locator(".kb-article .kb-banner-draft a[href='?draft=1']").click()
    expect(page).to_have_url(re.compile(r"\?draft=1$"))
    expect(page.locator(".kb-body h2")).to_have_text("退款时限")
    expect(page.locator(".kb-body table")).to_be_visible()
    screenshot(page, "section_draft")

    page.locator(".kb-article .kb-banner-draft button[type=submit]").click()
    expect(page).to_have_url(section_url(refund.pk))
    expect(page.locator(".kb-article .kb-banner-draft")).to_have_count(0)
    expect(page.locator(".kb-body")).to_contain_text("E2E-NEW-TEXT")
    expect(page.locator(".kb-body")).not_to_contain_text("INTERNAL-CANARY")
    expect(page.locator(".kb-body table td").first).to_have_text("线上")

    refund.refresh_from_db()
    assert refund.published_revision_id == refund.head_revision_id
    assert "E2E-NEW-TEXT" in refund.published_revision.body
    assert "draft=1" in landed_on and landed_on_draft, (
        f"after 'save draft' the editor landed on {landed_on}, the published text, "
        "not on the draft they just saved"
    )


def test_history_compare_and_restore(page, tree, publisher):
    """After two edits the history lists three revisions; comparing the first with
    the latest shows deleted and inserted text highlighted. Restoring the first
    revision adds a new revision with the same text; history is never rewritten."""
    refund = tree["refund"]
    original = Revision.objects.get(section=refund, number=1)
    login(page, "publisher")
    edit_section(page, refund.pk, "## 规则\n\n退款 10 天内处理。\n\n新增一行 SECOND")
    edit_section(page, refund.pk, "## 规则\n\n退款 10 天内处理。\n\n新增一行 THIRD")
    assert Revision.objects.filter(section=refund).count() == 3

    page.goto(f"/s/{refund.pk}/")
    page.locator(f"nav.kb-actions a[href$='/section/{refund.pk}/history/']").click()
    rows = page.locator("form.kb-history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("a[href$='/r/3/']")).to_be_visible()
    screenshot(page, "history")

    page.locator("input[name=a][value='1']").check()
    page.locator("input[name=b][value='3']").check()
    page.locator("form.kb-history > button.kb-button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/section/{refund.pk}/diff/\?"))
    assert parse_qs(urlsplit(page.url).query) == {"a": ["1"], "b": ["3"]}
    diff = page.locator("table.kb-diff")
    changed = diff.locator("tr.kb-diff-replace")
    expect(changed).to_have_count(1)
    expect(changed.locator("td.kb-diff-left del")).to_have_text(
        ["7", "INTERNAL-CANARY"]
    )
    expect(changed.locator("td.kb-diff-right ins")).to_have_text(["10"])
    expect(diff.locator("tr.kb-diff-insert td.kb-diff-right").last).to_have_text(
        "新增一行 THIRD"
    )
    expect(diff.locator("tr.kb-diff-equal").first).to_contain_text("退款政策")
    screenshot(page, "diff")

    page.locator("a[href$='/history/']").first.click()
    page.locator("button[form='restore-1']").click()
    expect(page).to_have_url(re.compile(rf"/section/{refund.pk}/history/$"))
    expect(rows).to_have_count(4)
    expect(rows.first.locator("a[href$='/r/4/']")).to_be_visible()
    expect(rows.first.locator(".kb-badge-draft")).to_be_visible()

    restored = Revision.objects.get(section=refund, number=4)
    assert restored.body == original.body
    assert restored.title == original.title
    refund.refresh_from_db()
    assert refund.head_revision_id == restored.pk
    assert list(
        Revision.objects.filter(section=refund)
        .order_by("number")
        .values_list("number", flat=True)
    ) == [1, 2, 3, 4]


def test_move_chapter_with_children_into_another_chapter(page, tree, publisher):
    """Moving a chapter "inside, last" of another chapter carries its whole subtree:
    the breadcrumbs show the new place and the tree stays consistent."""
    a, b = tree["a"], tree["b"]
    login(page, "publisher")
    page.goto(f"/s/{a.pk}/")
    page.locator(f"nav.kb-actions a[href$='/section/{a.pk}/move/']").click()
    expect(page).to_have_url(re.compile(rf"/section/{a.pk}/move/$"))

    target = page.locator("select[name=target]")
    # The chapter and its own subtree are not offered as targets.
    for own in ("a", "refund", "sop"):
        expect(target.locator(f"option[value='{tree[own].pk}']")).to_have_count(0)
    target.select_option(str(b.pk))
    page.locator("select[name=position]").select_option("last-child")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(section_url(a.pk))
    crumbs = breadcrumb_titles(page)
    assert crumbs[1:] == ["客服手册", "第二章 话术", "第一章 政策"], crumbs
    # In the sidebar the chapter now sits inside chapter B, open on the way to it.
    expect(
        page.locator(f"{TREE_ITEM.format(b.pk)} {TREE_ITEM.format(a.pk)}")
    ).to_be_visible()
    screenshot(page, "moved")

    page.locator(".kb-children a", has_text="退款政策").click()
    crumbs = breadcrumb_titles(page)
    assert crumbs[1:] == ["客服手册", "第二章 话术", "第一章 政策", "退款政策"], crumbs

    a = Section.objects.get(pk=a.pk)
    b = Section.objects.get(pk=b.pk)
    assert Section.objects.get_parent(a).pk == b.pk
    assert list(Section.objects.get_children(b)) == [
        Section.objects.get(pk=tree["scripts"].pk),
        a,
    ]
    moved = set(Section.objects.get_descendants(a).values_list("pk", flat=True))
    assert moved == {tree["refund"].pk, tree["sop"].pk}
    assert moved <= set(Section.objects.get_descendants(b).values_list("pk", flat=True))
    assert not any(Section.objects.find_problems())


def test_create_sop_section_from_kind_template(page, tree, publisher):
    """A new section starts from its kind's template: SOP shows purpose, scope, steps
    and owner headings; choosing another kind swaps the untouched template. Created
    and published, it shows up in the sidebar under its chapter."""
    a = tree["a"]
    with translation.override("zh-hans"):
        sop_template = starting_body(Kind.SOP)
        escalation_template = starting_body(Kind.ESCALATION)
    login(page, "publisher")
    page.goto(f"/s/{a.pk}/")
    add = page.locator(f"nav.kb-actions a[href$='/section/{a.pk}/new/']")
    expect(add).to_be_visible()
    page.goto(add.get_attribute("href") + "?kind=sop")

    kind = page.locator("select[name=kind]")
    body = page.locator("textarea[name=body]")
    expect(kind).to_have_value("sop")
    expect(body).to_have_value(sop_template.strip() + "\n")
    assert len(re.findall(r"^## ", body.input_value(), flags=re.M)) == 4
    preview = page.locator("[data-kb-preview]")
    expect(preview.locator("h2")).to_have_count(4)

    kind.select_option("escalation")
    expect(body).to_have_value(escalation_template.strip() + "\n")
    expect(preview.locator("table")).to_be_visible()
    kind.select_option("sop")
    expect(body).to_have_value(sop_template.strip() + "\n")
    expect(preview.locator("table")).to_have_count(0)

    page.locator("input[name=title]").fill("换货流程 E2E")
    body.press("Control+End")
    body.press_sequentially("\n负责人：客服主管", delay=0)
    page.locator("button[name=publish]").click()

    created = Section.objects.get(title="换货流程 E2E")
    expect(page).to_have_url(section_url(created.pk))
    expect(page.locator(".kb-article h1")).to_have_text("换货流程 E2E")
    item = page.locator(f"{TREE_ITEM.format(a.pk)} {TREE_ITEM.format(created.pk)}")
    expect(item).to_be_visible()
    expect(item).to_have_class(re.compile(r"\bis-current\b"))
    expect(item.locator(".kb-badge-draft")).to_have_count(0)
    expect(page.locator(".kb-body h2")).to_have_count(4)
    screenshot(page, "created_sop")

    assert created.kind == Kind.SOP
    assert Section.objects.get_parent(created).pk == a.pk
    assert created.published_revision_id is not None
    assert created.published_revision.body.startswith(sop_template.split("\n")[0])


def test_language_switch(page, tree, agent):
    """The header's language select switches the interface at once: English sets
    <html lang="en">, 简体中文 sets it back to "zh-hans", staying on the same page."""
    login(page, "agent")
    page.goto(f"/s/{tree['refund'].pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    lang = page.locator("select#kb-lang")
    expect(lang).to_have_value("zh-hans")

    with page.expect_navigation():
        lang.select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(section_url(tree["refund"].pk))
    expect(page.locator("select#kb-lang")).to_have_value("en")
    screenshot(page, "section_en")

    with page.expect_navigation():
        page.locator("select#kb-lang").select_option(label="简体中文")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(section_url(tree["refund"].pk))
