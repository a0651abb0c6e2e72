"""Real-browser search: both scripts, title suggestions, a facet, opening a result.

Uses the shared fixtures of tests/e2e/conftest.py (browser, page, screenshot) against
pytest-django's live server; indexing runs inline after each commit, as in production.
"""

import re

import pytest
from playwright.sync_api import expect

from manuals.models import Kind
from manuals.search import reset_search_backend
from tests.e2e.conftest import screenshot
from tests.factories import make_admin, make_section, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def search_world(settings, tmp_path):
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index")},
    }
    reset_search_backend()
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)
    admin = make_admin("e2e-admin")
    make_user("agent", username="searcher")
    manual = make_section(title="客服手册", kind=Kind.MANUAL, user=admin)
    sop = make_section(
        manual,
        title="退货流程",
        body="收到退货申请后先核实订单，再生成退货单。Refunds go back to the original payment.",
        kind=Kind.SOP,
        user=admin,
    )
    make_section(
        manual,
        title="退货政策",
        body="七天无理由退货，商品需保持完好。",
        kind=Kind.POLICY,
        user=admin,
    )
    yield {"sop": sop}
    reset_search_backend()


def _login(page, username):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def test_search_in_both_scripts_facet_and_open(page, search_world):
    """Traditional 退貨 finds the Simplified sections; a facet narrows; a result opens."""
    _login(page, "searcher")
    box = page.locator("#kb-search-q")

    # Search-as-you-type suggests titles.
    box.fill("退")
    expect(page.locator("#kb-search-suggestions li")).to_have_count(2)

    # Traditional script query, submitted from the header box.
    box.fill("退貨")  # (Escape would clear a type=search input in Chromium)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    results = page.locator(".kb-result")
    expect(results).to_have_count(2)
    expect(page.locator(".kb-result mark.kb-hit").first).to_be_visible()

    # A kind facet keeps the query and narrows to the SOP.
    page.locator(".kb-facet[data-facet=kind] a", has_text="SOP").click()
    page.wait_for_url(re.compile(r"kind=sop"))
    expect(results).to_have_count(1)
    screenshot(page, "search_traditional_facet")

    # English, then open the result.
    page.fill("#kb-search-page-q", "refund")
    page.locator(".kb-search-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"q=refund"))
    expect(results).to_have_count(1)
    results.first.locator(".kb-result-title a").click()
    page.wait_for_url(re.compile(rf"/s/{search_world['sop'].pk}/"))
    expect(page.locator("h1")).to_have_text("退货流程")
