"""The audit log reads as sentences (no Python dicts), in the reader's language, and
downloads as CSV with the same entries the page may show."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from manuals.models import Visibility
from manuals.sections import services
from tests.factories import make_section, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(make_user("manager", username="boss"))
    return client


@pytest.fixture
def changed(tree, admin_user):
    """An edit, a publish and a settings change with a group, an owner and tags."""
    group = Group.objects.create(name="北区组")
    owner = make_user("editor", username="owner-li")
    section = tree["refund"]
    section.refresh_from_db()
    result = services.section_save(
        section=section,
        user=admin_user,
        title=section.title,
        body="新",
        base=section.head_revision,
    )
    services.revision_publish(
        section=section, revision=result.revision, user=admin_user
    )
    services.section_update_settings(
        section=section,
        user=admin_user,
        kind=section.kind,
        visibility=Visibility.INTERNAL,
        owner=owner,
        tags=["退款", "售后"],
    )
    secret = make_section(tree["a"], title="SECRET-SECTION", user=admin_user)
    services.section_update_settings(
        section=secret,
        user=admin_user,
        kind=secret.kind,
        visibility=Visibility.RESTRICTED,
        groups=[group],
    )
    return section


def test_entries_are_sentences_with_readable_details(changed, manager_client):
    with translation.override("en"):
        html = manager_client.get(
            reverse("manuals:audit"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert "admin saved revision 2." in html
    assert "admin published revision 2." in html
    assert "admin changed the settings of “退款政策”." in html
    assert "Owner: admin → owner-li" in html
    assert "Tags: — → 售后, 退款" in html
    assert "{&#x27;" not in html and "changes=" not in html  # no dicts
    assert "SECRET-SECTION" not in html  # restricted to a group the manager is not in


def test_entries_speak_chinese_by_default(changed, manager_client):
    html = manager_client.get(reverse("manuals:audit")).content.decode()
    assert "负责人: admin → owner-li" in html or "负责人：admin → owner-li" in html


def test_csv_download_has_the_same_readable_entries(changed, manager_client):
    response = manager_client.get(
        reverse("manuals:audit") + "?format=csv&action=settings",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 Chinese with a BOM
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2  # the header and the one settings entry they may read
    assert rows[1][3] == "退款政策"
    assert "Owner: admin → owner-li" in rows[1][5]
    assert "SECRET-SECTION" not in body


def test_csv_is_for_those_who_may_read_the_log(changed, agent_client):
    assert agent_client.get(reverse("manuals:audit") + "?format=csv").status_code == 403


def test_people_entries_read_as_the_people_app_words_them(manager_client):
    """Other apps' entries are described by them (people: roles given, by name)."""
    from manuals.people import services as people_services

    manager = make_user("manager", username="boss2")
    with translation.override("en"):
        people_services.user_create(
            actor=manager,
            username="newbie",
            name="新人",
            roles=[Group.objects.get(name="agent")],
            site_url="https://kb.example.com",
            send_email=False,
        )
        html = manager_client.get(
            reverse("manuals:audit"), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert "boss2 created the account newbie." in html
