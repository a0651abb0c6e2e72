"""kbsite.auth.KBModelBackend answers exactly what Django's ModelBackend answers, with
fewer queries: permissions and group ids in one. The FAQ's context processor counts
unread answers for the header."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from faq.models import Question
from kbsite.auth import KBModelBackend
from manuals.notifications.models import Notification
from manuals.permissions import user_group_ids
from tests.factories import make_admin, make_user

pytestmark = pytest.mark.django_db


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def mixed_user():
    """An editor and a member of a group without permissions, with one permission
    of their own."""
    user = make_user("editor", username="mixed")
    empty = Group.objects.create(name="vip-readers")
    user.groups.add(empty)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    return user


@pytest.mark.parametrize("who", ["mixed", "agent", "nobody", "admin", "inactive"])
def test_same_answers_as_model_backend(who, mixed_user):
    users = {
        "mixed": mixed_user,
        "agent": make_user("agent", username="an-agent"),
        "nobody": make_user(username="no-groups"),
        "admin": make_admin(),
        "inactive": make_user("editor", username="gone", is_active=False),
    }
    ours, django = KBModelBackend(), ModelBackend()
    for method in (
        "get_user_permissions",
        "get_group_permissions",
        "get_all_permissions",
    ):
        expected = getattr(django, method)(_fresh(users[who]))
        assert getattr(ours, method)(_fresh(users[who])) == expected, method
    user = _fresh(users[who])
    for perm in ("manuals.change_section", "manuals.view_auditentry", "x.nothing"):
        assert ours.has_perm(user, perm) == ModelBackend().has_perm(
            _fresh(users[who]), perm
        )


def test_one_query_for_permissions_and_groups(mixed_user):
    user = _fresh(mixed_user)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("manuals.change_section")
        assert user.has_perm("manuals.view_auditentry")
        assert not user.has_perm("manuals.purge_section")
        groups = user_group_ids(user)
    assert len(queries) == 1
    assert groups == set(mixed_user.groups.values_list("pk", flat=True))
    assert Group.objects.get(name="vip-readers").pk in groups  # no permissions: kept


def test_group_change_is_seen_on_the_next_request(mixed_user, client):
    """Nothing is cached across requests: removing a role takes effect at once."""
    client.force_login(mixed_user)
    assert client.get(reverse("manuals:audit")).status_code == 200
    mixed_user.user_permissions.clear()
    assert client.get(reverse("manuals:audit")).status_code == 403


def test_unread_notifications_show_in_the_header(client, tree):
    """The bell in the header shows how many notifications you have not read, read
    with the user row (no query of its own), and nothing once they are read."""
    asker = make_user("agent", username="asker")
    question = Question.objects.create(
        asked_by=asker, text="退货要几天？", section=tree["refund"]
    )
    for _ in range(2):
        Notification.objects.create(
            recipient=asker, kind="question_answered", subject=question, text="Q"
        )
    client.force_login(asker)
    html = client.get(reverse("home")).content.decode()
    assert 'data-unread="2"' in html and '<span class="kb-unread">2</span>' in html
    Notification.objects.filter(recipient=asker).update(read_at="2026-01-01T00:00Z")
    assert (
        '<span class="kb-unread">' not in client.get(reverse("home")).content.decode()
    )
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
    counted = [q for q in queries if "notifications_notification" in q["sql"]]
    assert len(counted) == 1
    assert "auth_user" in counted[0]["sql"]  # part of the user's own query


def test_inactive_user_is_not_loaded(mixed_user):
    mixed_user.is_active = False
    mixed_user.save()
    assert KBModelBackend().get_user(mixed_user.pk) is None
    assert KBModelBackend().get_user(10**9) is None
