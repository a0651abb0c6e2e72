"""Who gets into the people screens: managers and superusers; agents, editors and
publishers get 403, anonymous visitors the login page; the set-password page is
open to everyone (the person following their link cannot log in yet)."""

import pytest
from django.urls import reverse

from manuals.people.models import Team
from manuals.people.permissions import can_manage_people
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(db):
    person = make_user("agent", username="target")
    team = Team.objects.create(name="T")
    return [
        reverse("people:index"),
        reverse("people:user_create"),
        reverse("people:user", kwargs={"pk": person.pk}),
        reverse("people:teams"),
        reverse("people:team_create"),
        reverse("people:team", kwargs={"pk": team.pk}),
        reverse("people:team_delete", kwargs={"pk": team.pk}),
        reverse("people:import"),
        reverse("people:activity"),
    ]


@pytest.fixture
def posts(db):
    person = make_user("agent", username="target2")
    team = Team.objects.create(name="T2")
    return [
        (reverse("people:user_create"), {"username": "posted"}),
        (reverse("people:user", kwargs={"pk": person.pk}), {"name": "x"}),
        (reverse("people:user_active", kwargs={"pk": person.pk}), {"active": "0"}),
        (reverse("people:user_password", kwargs={"pk": person.pk}), {}),
        (reverse("people:team_create"), {"name": "posted"}),
        (reverse("people:team", kwargs={"pk": team.pk}), {"name": "posted"}),
        (reverse("people:team_delete", kwargs={"pk": team.pk}), {}),
        (reverse("people:import_apply"), {"token": "x"}),
    ]


def test_anonymous_is_sent_to_log_in(client, urls):
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize(
    "roles", [(), ("agent",), ("editor",), ("editor", "publisher")]
)
def test_other_roles_get_403(client, urls, posts, roles):
    """Nobody without the manage_people permission reads or changes anything."""
    client.force_login(make_user(*roles, username="someone"))
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not Team.objects.filter(name="posted").exists()


def test_managers_and_superusers_get_in(client, urls, manager, admin):
    for user in (manager, admin):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, url


def test_the_people_link_is_for_managers(client, manager, agent):
    client.force_login(agent)
    assert reverse("people:index") not in client.get(reverse("home")).content.decode()
    client.force_login(manager)
    assert reverse("people:index") in client.get(reverse("home")).content.decode()


def test_inactive_manager_may_not():
    manager = make_user("manager", username="old-manager", is_active=False)
    assert not can_manage_people(manager)


def test_set_password_page_needs_no_login(client):
    """A link that does not work says so, to anonymous visitors too (no login
    redirect)."""
    url = reverse("people:set_password", kwargs={"uidb64": "MQ", "token": "x-y"})
    response = client.get(url)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    done = client.get(reverse("people:set_password_done"))
    assert done.status_code == 200
