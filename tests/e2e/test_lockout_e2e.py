"""Real-browser login throttling: five wrong passwords, then the login page says the
login is blocked, and the right password is refused until an admin unlocks."""

import re

import pytest
from axes.models import AccessAttempt
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def submit(page, username, password):
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_wrong_passwords_lock_the_login_until_unlocked(new_page):
    make_user("agent", username="locked-agent")
    page = new_page(locale="en-US")
    page.goto("/accounts/login/")
    for _ in range(5):
        submit(page, "locked-agent", "wrong")
    alert = page.locator(".kb-lockout[role=alert]")
    expect(alert).to_contain_text("Too many failed logins")
    expect(alert).to_contain_text("30 minutes")
    expect(page.locator("input[name=username]")).to_have_value("locked-agent")
    screenshot(page, "login_locked")

    submit(page, "locked-agent", "pw")
    expect(alert).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    AccessAttempt.objects.all().delete()  # what the admin's delete does
    submit(page, "locked-agent", "pw")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
