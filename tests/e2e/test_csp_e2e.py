"""The Content-Security-Policy in a real browser: clicking through the main pages
(home, a section and its sidebar, the editor with its live preview and block picker,
search with suggestions, the Django admin, the public portal and its survey) the
browser refuses nothing, while the policy is really enforced.

Violations are collected from the console ("Refused to ...", "Content Security
Policy") and from `securitypolicyviolation` events, reported to Python through a
binding (neither is subject to the page's policy).
"""

import re

import pytest
from playwright.sync_api import expect

from manuals.blocks.services import block_create
from manuals.models import Kind, Visibility
from manuals.search import reset_search_backend
from tests.e2e.conftest import screenshot
from tests.factories import make_admin, make_section

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.kbCspViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" +
    e.lineNumber, e.sample].join(" "));
});
"""

TABLE = (
    "## 退款时限\n\n| 渠道 | 时限 |\n|:-----|-----:|\n| 线上 | 7 天 |\n| 门店 | 3 天 |\n\n"
    "CSP-PREVIEW-TEXT"
)


@pytest.fixture
def world(settings, tmp_path):
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index")},
    }
    reset_search_backend()
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)
    admin = make_admin("csp-admin")
    manual = make_section(title="客服手册", kind=Kind.MANUAL, user=admin)
    chapter = make_section(manual, title="第一章 政策", kind=Kind.CHAPTER, user=admin)
    refund = make_section(
        chapter, title="退款政策", kind=Kind.POLICY, user=admin, body=TABLE
    )
    make_section(chapter, title="退货流程", kind=Kind.SOP, user=admin, body="核实订单")
    block_create(
        key="greeting",
        title="问候语",
        body="您好，很高兴为您服务。",
        visibility=Visibility.PUBLIC,
        user=admin,
        publish=True,
    )
    help_root = make_section(
        title="帮助中心", kind=Kind.MANUAL, visibility=Visibility.PUBLIC, user=admin
    )
    public = make_section(
        help_root,
        title="如何退货",
        visibility=Visibility.PUBLIC,
        user=admin,
        body=TABLE + "\n\n{{block:greeting}}",
    )
    yield {"manual": manual, "chapter": chapter, "refund": refund, "public": public}
    reset_search_backend()


@pytest.fixture
def watched(new_page):
    """A page whose CSP violations land in `page.csp_violations`."""

    def make():
        page = new_page()
        violations = []
        page.expose_function("kbCspViolation", lambda text: violations.append(text))
        page.add_init_script(REPORT_VIOLATIONS)

        def on_console(message):
            text = message.text
            if "Refused to" in text or "Content Security Policy" in text:
                violations.append(f"console: {text}")

        page.on("console", on_console)
        page.csp_violations = violations
        return page

    return make


def goto(page, url):
    response = page.goto(url)
    assert response.ok, (url, response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, url  # enforced, not report-only
    return response


def test_main_pages_work_under_the_policy(watched, world):
    staff = watched()
    goto(staff, "/accounts/login/")
    form = staff.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill("csp-admin")
    form.locator("input[name=password]").fill("pw")
    form.locator("button[type=submit]").click()
    expect(staff).not_to_have_url(re.compile(r"/accounts/login/"))

    goto(staff, "/")
    expect(staff.locator(".kb-home-grid").first).to_be_visible()

    # A section, and the sidebar loading a chapter's children on demand.
    goto(staff, f"/s/{world['manual'].pk}/")
    chapter = staff.locator(f"li.kb-tree-item[data-kb-node='{world['chapter'].pk}']")
    toggle = chapter.locator("> button.kb-tree-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    chapter.get_by_role("link", name="退款政策").click()
    expect(staff.locator(".kb-body table")).to_be_visible()
    # Aligned table cells keep their inline style (style-src allows it).
    align = (
        staff.locator(".kb-body table td")
        .nth(1)
        .evaluate("td => getComputedStyle(td).textAlign")
    )
    assert align == "right"

    # The editor: live preview (HTML from the server) and the block picker.
    goto(staff, f"/section/{world['refund'].pk}/edit/")
    body = staff.locator("textarea[name=body]")
    body.fill(TABLE + "\n\n更新的文字")
    preview = staff.locator("[data-kb-preview]")
    expect(preview.locator("table th")).to_have_text(["渠道", "时限"])
    expect(preview).to_contain_text("更新的文字")
    picker = staff.locator("[data-kb-picker]")
    picker.locator("[data-kb-picker-open]").click()
    picker.locator("[data-kb-picker-q]").fill("问候")
    picker.locator("[data-kb-picker-results] button").first.click()
    expect(body).to_have_value(re.compile(r"\{\{block:greeting\}\}"))
    expect(preview).to_contain_text("您好，很高兴为您服务。")
    screenshot(staff, "csp_editor")

    # Search as you type, then the results page.
    box = staff.locator("#kb-search-q")
    box.fill("退")
    expect(staff.locator("#kb-search-suggestions li").first).to_be_visible()
    box.fill("退款")
    box.press("Enter")
    staff.wait_for_url(re.compile(r"/search/\?q="))
    expect(staff.locator(".kb-result").first).to_be_visible()

    # The Django admin.
    goto(staff, "/admin/")
    goto(staff, "/admin/axes/accessattempt/")
    goto(staff, "/admin/auth/user/add/")
    assert staff.csp_violations == [], staff.csp_violations

    # The public portal, its search and the survey (answered without reloading).
    visitor = watched()
    goto(visitor, "/help/")
    goto(visitor, f"/help/a/{world['public'].pk}/")
    expect(visitor.locator(".portal-body table")).to_be_visible()
    survey = visitor.locator("#kb-survey")
    survey.scroll_into_view_if_needed()
    survey.locator("button.kb-survey-no").click()
    expect(visitor.locator("#kb-survey .kb-survey-thanks")).to_be_visible()
    goto(visitor, "/help/search/?q=退货")
    screenshot(visitor, "csp_portal_search")
    assert visitor.csp_violations == [], visitor.csp_violations

    # The watch works: an inline script added to the page is refused and reported.
    visitor.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.kbInline = 1'; document.body.appendChild(s); }"
    )
    for _ in range(50):
        if visitor.csp_violations:
            break
        visitor.wait_for_timeout(100)
    assert visitor.evaluate("() => window.kbInline") is None
    assert any("script-src" in v or "Refused to" in v for v in visitor.csp_violations)
