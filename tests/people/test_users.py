"""Accounts through the people screens: create with a set-password link, edit roles,
groups and teams, deactivate and reactivate, reset the password; who may do what;
every change in the audit log as a readable sentence."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from manuals.models import AuditEntry
from manuals.people import history, selectors, services
from manuals.people.models import Team
from manuals.roles import role_groups
from tests.factories import make_admin, make_user

from .conftest import SITE

pytestmark = pytest.mark.django_db
User = get_user_model()


def roles(*names):
    return list(Group.objects.filter(name__in=names))


def sentences(user=None):
    return [
        (d.sentence, d.details)
        for d in map(history.describe, selectors.activity(user=user))
    ]


def logs_in(client, username, password) -> bool:
    """Through the login form (django-axes wants a request)."""
    response = client.post(
        reverse("login"), {"username": username, "password": password}
    )
    return response.status_code == 302


def link_path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def red(db):
    return Group.objects.create(name="Red team sections")


@pytest.fixture
def team(db):
    return Team.objects.create(name="Shift A")


def test_manager_creates_a_user_with_a_set_password_link(manager_client, red, team):
    """The manager creates an account with roles, a restricted group and a team;
    the account has no password; the link is shown once on the account's page and
    e-mailed; following it the new person sets a password and logs in."""
    response = manager_client.post(
        reverse("people:user_create"),
        {
            "username": "zhangsan",
            "name": "张三",
            "email": "zhangsan@example.com",
            "roles": [g.pk for g in roles("agent", "editor")],
            "groups": [red.pk],
            "teams": [team.pk],
            "send_email": "on",
        },
    )
    user = User.objects.get(username="zhangsan")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:user", kwargs={"pk": user.pk})
    assert not user.has_usable_password()
    assert set(user.groups.values_list("name", flat=True)) == {
        "agent",
        "editor",
        "Red team sections",
    }
    assert list(user.kb_teams.all()) == [team]
    assert user.first_name == "张三"

    page = manager_client.get(response["Location"]).content.decode()
    url = re.search(r'value="(http://testserver/people/set-password/[^"]+)"', page)[1]
    assert "It was e-mailed to them" in page
    again = manager_client.get(response["Location"]).content.decode()
    assert url not in again  # shown once

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangsan@example.com"]
    assert url in mail.outbox[0].body
    assert "zhangsan" in mail.outbox[0].body

    manager_client.logout()
    anonymous = manager_client
    opened = anonymous.get(link_path(url))
    assert opened.status_code == 302  # the token moves into the session
    form_page = anonymous.get(opened["Location"])
    assert "Set your password" in form_page.content.decode()
    done = anonymous.post(
        opened["Location"],
        {"new_password1": "a-Long-new-pw-42", "new_password2": "a-Long-new-pw-42"},
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("people:set_password_done")
    assert "You can log in now" in anonymous.get(done["Location"]).content.decode()
    assert logs_in(anonymous, "zhangsan", "a-Long-new-pw-42")
    # The link works once.
    anonymous.logout()
    assert (
        "no longer works" in anonymous.get(link_path(url), follow=True).content.decode()
    )

    said = sentences(user)
    assert ("zhangsan set their password.", []) in said
    created = next(s for s in said if s[0] == "manager created the account zhangsan.")
    assert "Roles: Agent, Editor." in created[1]
    assert "Restricted group: Red team sections." in created[1]
    assert "Team: Shift A." in created[1]


def test_create_without_email_shows_the_link_only(manager_client):
    """Without an e-mail address nothing is sent: the page says to pass it on."""
    response = manager_client.post(
        reverse("people:user_create"),
        {"username": "lisi", "roles": [g.pk for g in roles("agent")]},
        follow=True,
    )
    html = response.content.decode()
    assert "Pass it on to them" in html
    assert "/people/set-password/" in html
    assert mail.outbox == []


def test_create_refuses_a_taken_username_or_address(manager_client, manager):
    """A taken username or e-mail address is an error on the form; nothing new."""
    count = User.objects.count()
    taken_name = manager_client.post(
        reverse("people:user_create"), {"username": "manager"}
    )
    assert taken_name.status_code == 200
    assert "already exists" in taken_name.content.decode()
    taken_mail = manager_client.post(
        reverse("people:user_create"),
        {"username": "other", "email": "MANAGER@example.com"},
    )
    assert "is already the address of manager" in taken_mail.content.decode()
    assert User.objects.count() == count


def test_manager_cannot_make_a_superuser(manager_client, manager):
    """The form has no superuser or staff box for a manager; posting one anyway
    makes an ordinary account; the service refuses outright."""
    form = manager_client.get(reverse("people:user_create")).content.decode()
    assert 'name="is_superuser"' not in form
    manager_client.post(
        reverse("people:user_create"),
        {"username": "sneaky", "is_superuser": "on", "is_staff": "on"},
    )
    sneaky = User.objects.get(username="sneaky")
    assert not sneaky.is_superuser and not sneaky.is_staff
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=manager, username="boss", is_superuser=True, site_url=SITE
        )
    with pytest.raises(PermissionDenied):
        services.user_update(
            actor=manager,
            user=sneaky,
            name="",
            email="",
            roles=[],
            groups=[],
            teams=[],
            is_superuser=True,
        )
    assert not User.objects.filter(username="boss").exists()
    sneaky.refresh_from_db()
    assert not sneaky.is_superuser


def test_manager_cannot_change_a_superuser(manager_client, admin):
    """A manager sees an administrator's page but no forms; posts are refused."""
    page = manager_client.get(reverse("people:user", kwargs={"pk": admin.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Only administrators may change this account." in html
    assert "data-kb-deactivate" not in html
    for name, data in (
        ("people:user", {"name": "x"}),
        ("people:user_active", {"active": "0"}),
        ("people:user_password", {}),
    ):
        response = manager_client.post(reverse(name, kwargs={"pk": admin.pk}), data)
        assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.is_active and admin.has_usable_password()


def test_superuser_sets_the_flags(admin_client, admin):
    """An administrator may make someone staff and superuser, and it is audited."""
    agent = make_user("agent", username="helper")
    response = admin_client.post(
        reverse("people:user", kwargs={"pk": agent.pk}),
        {
            "name": "Helper",
            "email": "",
            "roles": [g.pk for g in roles("agent")],
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.is_superuser and agent.is_staff
    details = sentences(agent)[0][1]
    assert "Made them an administrator (superuser)." in details
    assert "Gave access to the admin site." in details


def test_edit_roles_groups_and_teams_audited_as_sentences(manager_client, red, team):
    """Changing roles, groups, teams, name and address is one audit entry that
    reads as sentences, with the roles by their display names."""
    person = make_user("agent", username="wangwu", email="old@example.com")
    response = manager_client.post(
        reverse("people:user", kwargs={"pk": person.pk}),
        {
            "name": "王五",
            "email": "new@example.com",
            "roles": [g.pk for g in roles("editor", "publisher")],
            "groups": [red.pk],
            "teams": [team.pk],
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert set(person.groups.values_list("name", flat=True)) == {
        "editor",
        "publisher",
        "Red team sections",
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PEOPLE)
    assert entry.username == "manager"
    assert entry.object_repr == "wangwu"
    said = history.describe(entry)
    assert said.sentence == "manager changed the account wangwu."
    assert said.details == [
        "Gave the roles Editor, Publisher.",
        "Took away the role Agent.",
        "Added to the restricted group Red team sections.",
        "Added to the team Shift A.",
        "Changed the name from “—” to “王五”.",
        "Changed the e-mail address from old@example.com to new@example.com.",
    ]
    # Saving again unchanged records nothing.
    manager_client.post(
        reverse("people:user", kwargs={"pk": person.pk}),
        {
            "name": "王五",
            "email": "new@example.com",
            "roles": [g.pk for g in roles("editor", "publisher")],
            "groups": [red.pk],
            "teams": [team.pk],
        },
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PEOPLE).count() == 1
    page = manager_client.get(reverse("people:user", kwargs={"pk": person.pk}))
    assert "Gave the roles Editor, Publisher." in page.content.decode()


def test_deactivate_and_reactivate(manager_client, manager):
    """A deactivated person cannot log in; reactivated they can; both audited."""
    person = make_user("agent", username="zhaoliu")
    url = reverse("people:user_active", kwargs={"pk": person.pk})
    manager_client.post(url, {"active": "0"})
    person.refresh_from_db()
    assert not person.is_active
    assert not logs_in(Client(), "zhaoliu", "pw")
    listed = manager_client.get(reverse("people:index")).content.decode()
    # The list shows active people unless asked.
    assert 'data-kb-person="zhaoliu"' not in listed
    inactive = manager_client.get(reverse("people:index"), {"status": "inactive"})
    assert 'data-kb-person="zhaoliu"' in inactive.content.decode()
    manager_client.post(url, {"active": "1"})
    person.refresh_from_db()
    assert person.is_active
    assert [s for s, _d in sentences(person)] == [
        "manager reactivated zhaoliu.",
        "manager deactivated zhaoliu.",
    ]


def test_nobody_deactivates_themself_or_the_last_superuser(manager, admin):
    """Nobody deactivates their own account; the last active superuser keeps the
    flag; with another one active, it may go."""
    with pytest.raises(services.PeopleError):
        services.user_set_active(actor=manager, user=manager, active=False)
    with pytest.raises(services.PeopleError):
        services.user_set_active(actor=admin, user=admin, active=False)
    other_admin = make_admin("root2")
    services.user_set_active(actor=admin, user=other_admin, active=False)
    flags = {"name": "", "email": "", "roles": [], "groups": [], "teams": []}
    with pytest.raises(services.PeopleError):
        services.user_update(actor=admin, user=admin, is_superuser=False, **flags)
    services.user_set_active(actor=admin, user=other_admin, active=True)
    services.user_update(actor=other_admin, user=admin, is_superuser=False, **flags)
    manager.refresh_from_db()
    admin.refresh_from_db()
    assert manager.is_active and admin.is_active and not admin.is_superuser


def test_self_deactivation_shows_a_message(manager_client, manager):
    response = manager_client.post(
        reverse("people:user_active", kwargs={"pk": manager.pk}),
        {"active": "0"},
        follow=True,
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    manager.refresh_from_db()
    assert manager.is_active


def test_reset_password_makes_a_new_link(manager_client):
    """Resetting stops the old password at once and shows a new link; earlier
    links stop working."""
    person = make_user("agent", username="sunqi", email="sunqi@example.com")
    first = services.user_password_reset(
        actor=User.objects.get(username="manager"),
        user=person,
        site_url=SITE,
        send_email=False,
    )
    person.refresh_from_db()
    assert not person.has_usable_password()
    response = manager_client.post(
        reverse("people:user_password", kwargs={"pk": person.pk}),
        {"send_email": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert "no longer works" in html
    url = re.search(r'value="(http://testserver/people/set-password/[^"]+)"', html)[1]
    assert url != first.url
    assert len(mail.outbox) == 1 and "was reset" in mail.outbox[0].body
    assert (
        "no longer works"
        in manager_client.get(link_path(first.url), follow=True).content.decode()
    )
    assert sentences(person)[0][0] == (
        "manager reset the password of sunqi and made a new set-password link."
    )


def test_deactivated_account_gets_no_password(client, manager):
    """A link of an account deactivated since no longer works."""
    person = make_user("agent", username="gone")
    invite = services.user_password_reset(
        actor=manager, user=person, site_url=SITE, send_email=False
    )
    services.user_set_active(actor=manager, user=person, active=False)
    html = client.get(link_path(invite.url), follow=True).content.decode()
    assert "no longer works" in html


def test_user_list_search_and_filters(manager_client, team):
    """Search by name, username or e-mail; filter by role, team, status; roles
    shown by their display names, never the raw group names."""
    a = make_user("agent", username="alpha", first_name="Ada", email="ada@corp.cn")
    b = make_user("editor", username="beta", email="b@else.cn")
    team.members.add(b)
    index = reverse("people:index")

    def names(**params):
        html = manager_client.get(index, params).content.decode()
        return set(re.findall(r'data-kb-person="([^"]+)"', html))

    assert names(q="ada") == {"alpha"}
    assert names(q="corp.cn") == {"alpha"}
    assert names(q="bet") == {"beta"}
    assert names(role="editor") == {"beta"}
    assert names(role="none") == set()
    assert names(team=team.pk) == {"beta"}
    html = manager_client.get(index, {"q": "alpha"}).content.decode()
    assert 'data-kb-role="agent">Agent<' in html
    assert a.username in html


def test_roles_in_chinese(manager_client):
    """The list names roles through the translation catalogue: in Chinese, not the
    group names (whatever the catalogue says for the role msgids)."""
    from django.utils import translation
    from django.utils.translation import pgettext

    make_user("agent", username="cn-agent")
    with translation.override("zh-hans"):
        label = pgettext("role", "Agent")
    html = manager_client.get(
        reverse("people:index"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert f'data-kb-role="agent">{label}<' in html


def test_roles_groups_of_choices():
    """The role boxes list the roles in order, labelled by display name."""
    assert [g.name for g in role_groups()] == [
        "agent",
        "editor",
        "publisher",
        "manager",
        "trainer",
    ]


def test_usernames_differing_in_case_only_are_refused(manager):
    with pytest.raises(ValidationError):
        services.user_create(actor=manager, username="MANAGER", site_url=SITE)
