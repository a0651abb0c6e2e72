"""Login throttling (django-axes with kbsite.lockout): a few wrong passwords lock the
account at that address, trying many accounts or many addresses is capped too, the
login page says why, and an admin unlocks."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

LOCKED_EN = "Too many failed logins. Logging in is blocked for 30 minutes"


def login(client, username, password, address="192.0.2.10", **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def test_five_wrong_passwords_lock_out_even_the_right_one(client, agent):
    """Four wrong passwords show the usual error; the fifth locks out with the
    lockout message (429), and while locked the right password is refused too."""
    for _ in range(4):
        response = login(client, "agent", "wrong")
        assert response.status_code == 200
        assert "kb-lockout" not in response.content.decode()
    response = login(client, "agent", "wrong")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'class="kb-form-errors kb-lockout" role="alert"' in html
    assert 'value="agent"' in html  # the login form again, with the typed name
    response = login(client, "agent", "pw")
    assert response.status_code == 429
    assert not logged_in(client)


def test_lockout_message_in_english(client, agent):
    """The message is translated; in English it names the minutes and the admin."""
    for _ in range(5):
        response = login(client, "agent", "wrong", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert LOCKED_EN in html
    assert "an administrator can unlock it sooner" in html


def lock_out(client, username="agent", address="192.0.2.10"):
    for _ in range(5):
        login(client, username, "wrong", address=address)
    assert login(client, username, "pw", address=address).status_code == 429


def test_admin_unlocks_in_the_admin(client, agent, admin_user):
    """Deleting the access attempt in the admin (Axes > Access attempts) unlocks."""
    from django.test import Client

    lock_out(client)
    admin = Client()
    admin.force_login(admin_user)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin.get(changelist)
    assert page.status_code == 200
    assert "agent" in page.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = admin.post(
        changelist,
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    response = login(client, "agent", "pw")
    assert response.status_code == 302
    assert logged_in(client)


def test_axes_reset_command_unlocks(client, agent):
    """`manage.py axes_reset_username agent` unlocks from the command line."""
    lock_out(client)
    call_command("axes_reset_username", "agent")
    assert login(client, "agent", "pw").status_code == 302
    assert logged_in(client)


def test_the_lock_is_per_address_for_a_few_failures(client, agent):
    """Five failures lock the account at that address only: the agent logs in from
    their own desk while someone elsewhere mistypes (no lock-out of others)."""
    lock_out(client, address="192.0.2.66")
    assert login(client, "agent", "pw", address="192.0.2.10").status_code == 302


def test_a_successful_login_forgets_earlier_typos(client, agent):
    """Typos before a successful login do not count against the next ones."""
    for _ in range(4):
        login(client, "agent", "wrong")
    assert login(client, "agent", "pw").status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "agent", "wrong").status_code == 200
    assert login(client, "agent", "pw").status_code == 302


def test_trying_many_accounts_from_one_address_is_capped(client, agent, settings):
    """Changing only the username does not get around the limit: after
    KB_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the names,
    that address may not log in as anyone."""
    settings.KB_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for n in range(12):
        login(client, f"guess{n % 4}", "wrong", address="198.51.100.5")
    assert login(client, "agent", "pw", address="198.51.100.5").status_code == 429
    # Other addresses are not affected.
    assert login(client, "agent", "pw", address="198.51.100.6").status_code == 302


def test_trying_one_account_from_many_addresses_is_capped(client, agent, settings):
    """Changing only the address does not get around the limit: after
    KB_LOGIN_ACCOUNT_FAILURE_LIMIT failures on one account, from whatever addresses,
    that account is locked everywhere until it cools off or an admin unlocks."""
    settings.KB_LOGIN_ACCOUNT_FAILURE_LIMIT = 12
    for n in range(12):
        login(client, "agent", "wrong", address=f"203.0.113.{n + 1}")
    assert login(client, "agent", "pw", address="203.0.113.200").status_code == 429
    other = make_user("agent", username="other-agent")
    assert (
        login(client, other.username, "pw", address="203.0.113.200").status_code == 302
    )


def test_forwarded_for_is_ignored_without_a_proxy(client, agent):
    """Without DJANGO_BEHIND_PROXY the address is REMOTE_ADDR: a client changing
    X-Forwarded-For on each try is still the same address."""
    for n in range(5):
        login(client, "agent", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert (
        login(client, "agent", "pw", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "192.0.2.10"
    }


def test_behind_a_proxy_the_address_is_the_one_it_appended(client, agent, settings):
    """Behind one proxy the client is the right-most X-Forwarded-For entry (what the
    proxy saw); entries the client wrote itself, left of it, do not change it."""
    settings.KB_BEHIND_PROXY = True
    settings.KB_PROXY_COUNT = 1
    for n in range(5):
        login(
            client,
            "agent",
            "wrong",
            address="10.0.0.1",  # the proxy
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.77",
        )
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "198.51.100.77"
    locked = login(
        client, "agent", "pw", address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.77"
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is another address.
    fine = login(
        client, "agent", "pw", address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.78"
    )
    assert fine.status_code == 302


def test_client_ip_behind_two_proxies(rf, settings):
    from kbsite.net import client_ip

    settings.KB_BEHIND_PROXY = True
    settings.KB_PROXY_COUNT = 2
    request = rf.get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1, 10.0.0.1"
    )
    assert client_ip(request) == "192.0.2.1"
    # Fewer entries than proxies, or garbage: the direct peer.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="x")) == (
        "10.0.0.2"
    )
    settings.KB_PROXY_COUNT = 1
    assert (
        client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="nonsense"))
        == "10.0.0.2"
    )
