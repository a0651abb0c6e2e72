"""Teams: create, edit (name, lead, members), delete; each audited as sentences."""

import pytest
from django.urls import reverse

from manuals.models import AuditEntry
from manuals.people import history, selectors
from manuals.people.models import Team
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def described(team_id):
    entries = AuditEntry.objects.filter(
        action=AuditEntry.Action.PEOPLE, detail__team_id=team_id
    ).order_by("pk")
    return [history.describe(e) for e in entries]


def test_team_lifecycle(manager_client):
    a = make_user("agent", username="a1", first_name="Ann")
    b = make_user("agent", username="b1")
    c = make_user("agent", username="c1")
    response = manager_client.post(
        reverse("people:team_create"),
        {"name": "夜班", "description": "night", "lead": a.pk, "members": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="夜班")
    assert team.lead == a and set(team.members.all()) == {a, b}
    listing = manager_client.get(reverse("people:teams")).content.decode()
    assert 'data-kb-team="夜班"' in listing

    response = manager_client.post(
        reverse("people:team", kwargs={"pk": team.pk}),
        {
            "name": "夜班二组",
            "description": "night",
            "lead": "",
            "members": [b.pk, c.pk],
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "夜班二组" and team.lead is None
    assert set(team.members.all()) == {b, c}

    page = manager_client.get(reverse("people:team_delete", kwargs={"pk": team.pk}))
    assert "The team has 2 members" in page.content.decode()
    manager_client.post(reverse("people:team_delete", kwargs={"pk": team.pk}))
    assert not Team.objects.filter(pk=team.pk).exists()
    assert set(b.kb_teams.all()) == set()
    assert b.__class__.objects.filter(pk=b.pk).exists()  # members stay

    created, changed, deleted = described(team.pk)
    assert created.sentence == "manager created the team 夜班."
    assert created.details == ["Lead: a1.", "Members: a1, b1."]
    assert changed.sentence == "manager changed the team 夜班二组."
    assert changed.details == [
        "Renamed from “夜班” to “夜班二组”.",
        "No lead any more (was a1).",
        "Added the member c1.",
        "Removed the member a1.",
    ]
    assert deleted.sentence == "manager deleted the team 夜班二组."


def test_team_name_must_be_unique(manager_client):
    Team.objects.create(name="A")
    response = manager_client.post(reverse("people:team_create"), {"name": "A"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Team.objects.count() == 1


def test_activity_page_lists_people_entries(manager_client):
    manager_client.post(reverse("people:team_create"), {"name": "B"})
    html = manager_client.get(reverse("people:activity")).content.decode()
    assert "manager created the team B." in html
    assert selectors.activity().count() == 1


def test_people_entries_in_the_audit_log_for_managers(manager_client, editor):
    """The site's audit log shows people entries to those who manage people."""
    manager_client.post(reverse("people:team_create"), {"name": "Audited"})
    html = manager_client.get(reverse("manuals:audit")).content.decode()
    assert "Changed people or teams" in html
    assert "Audited" in html
