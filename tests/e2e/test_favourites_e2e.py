"""Real-browser walk through a reader's own things: starring a section, finding it on
the home page with the sections read lately, and unstarring it.

Selectors use data attributes, URLs and the fixture's Chinese titles, not interface
text, so the test holds whether or not the Chinese catalog is compiled.
"""

import re

import pytest
from playwright.sync_api import expect

from manuals.models import Section
from tests.e2e.conftest import screenshot
from tests.e2e.test_manual_e2e import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_star_a_section_and_find_it_on_home(page, tree, agent):
    """The agent stars a section with the plain form (no script needed), comes back
    to it starred, and finds it on the home page among their favourites and the
    sections they read lately; unstarring it from the favourites page removes it."""
    refund = Section.objects.get(pk=tree["refund"].pk)
    login(page, "agent")
    page.goto(refund.get_absolute_url())
    star = page.locator(f"form[data-kb-favourite='{refund.pk}'] button")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(page).to_have_url(re.compile(rf"/s/{refund.pk}/"))
    expect(star).to_have_attribute("aria-pressed", "true")
    screenshot(page, "favourite-starred")

    page.goto(Section.objects.get(pk=tree["sop"].pk).get_absolute_url())
    page.goto("/")
    favourites = page.locator(".kb-home-reading .kb-favourites")
    expect(favourites.get_by_role("link", name="退款政策")).to_be_visible()
    viewed = page.locator(".kb-home-reading .kb-viewed")
    expect(viewed.get_by_role("link", name="退款政策")).to_be_visible()
    expect(viewed.get_by_role("link", name="退货流程")).to_be_visible()
    screenshot(page, "home-favourites")

    page.locator(".kb-home-reading a[href='/favourites/']").click()
    page.locator(f"form[data-kb-favourite='{refund.pk}'] button").click()
    expect(page).to_have_url(re.compile(r"/favourites/$"))
    expect(page.locator(f"form[data-kb-favourite='{refund.pk}']")).to_have_count(0)
    page.goto("/")
    expect(favourites.get_by_role("link", name="退款政策")).to_have_count(0)
