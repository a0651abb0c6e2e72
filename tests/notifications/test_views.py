"""The bell, the list, opening one, marking read, settings, watching, and the
reader's "what changed" page."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from manuals.blocks import services as blocks
from manuals.models import Visibility
from manuals.notifications.models import (
    EmailMode,
    Kind,
    Notification,
    Preference,
    Watch,
)
from manuals.sections import services as sections
from tests.factories import make_section, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def planted(user, section, text):
    """A notification as it would be if `section` had been narrowed since."""
    return Notification.objects.create(
        recipient=user,
        kind=Kind.SECTION_CHANGED,
        content_type=ContentType.objects.get_for_model(section),
        object_id=section.pk,
        text=text,
        url=section.get_absolute_url(),
    )


def test_the_list_shows_readable_notifications_and_counts_the_rest(
    tree, agent_client, agent, admin_user
):
    secret = Group.objects.create(name="secret")
    restricted = make_section(
        tree["a"],
        title="RESTRICTED",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
    )
    planted(agent, tree["refund"], "退款政策")
    planted(agent, restricted, "STALE-CANARY")
    page = agent_client.get(reverse("notifications:index")).content.decode()
    assert "“退款政策” was updated" in page
    assert "STALE-CANARY" not in page
    assert "1 notification about content you can no longer read" in page
    assert 'data-unread="2"' in page  # the bell counts without reading subjects


def test_opening_marks_read_and_follows_the_link_only_ones_own(
    tree, agent_client, agent
):
    note = planted(agent, tree["refund"], "退款政策")
    other = planted(make_user("agent", username="other"), tree["refund"], "x")
    response = agent_client.post(reverse("notifications:open", kwargs={"pk": note.pk}))
    assert response.status_code == 302
    assert response["Location"] == tree["refund"].get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    assert (
        agent_client.post(
            reverse("notifications:open", kwargs={"pk": other.pk})
        ).status_code
        == 404
    )
    assert (
        agent_client.get(
            reverse("notifications:open", kwargs={"pk": note.pk})
        ).status_code
        == 405
    )


def test_mark_all_read(tree, agent_client, agent):
    for _ in range(3):
        planted(agent, tree["refund"], "退款政策")
    agent_client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True)
    page = agent_client.get(reverse("home")).content.decode()
    assert 'data-unread="0"' in page


def test_preferences_save_email_mode_and_kinds(agent_client, agent):
    response = agent_client.post(
        reverse("notifications:preferences"),
        {"email": EmailMode.IMMEDIATE, "email_kinds": [Kind.REVIEW_REQUESTED]},
    )
    assert response.status_code == 302
    pref = Preference.objects.get(user=agent)
    assert pref.email == EmailMode.IMMEDIATE
    assert Kind.REVIEW_REQUESTED not in pref.muted_kinds
    assert Kind.SECTION_CHANGED in pref.muted_kinds
    page = agent_client.get(reverse("notifications:preferences")).content.decode()
    assert 'value="immediate" checked' in page or "checked" in page
    bad = agent_client.post(reverse("notifications:preferences"), {"email": "hourly"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    assert Preference.objects.get(user=agent).email == EmailMode.IMMEDIATE


def test_watch_buttons_and_their_permission(tree, agent_client, agent, admin_user):
    url = reverse("notifications:watch_section", kwargs={"pk": tree["refund"].pk})
    page = agent_client.get(tree["refund"].get_absolute_url()).content.decode()
    assert 'data-kb-watch="none"' in page
    agent_client.post(url, {"action": "watch_subtree"})
    assert Watch.objects.get(user=agent).subtree
    page = agent_client.get(tree["refund"].get_absolute_url()).content.decode()
    assert 'data-kb-watch="subtree"' in page
    child = make_section(tree["refund"], title="子节", user=admin_user)
    page = agent_client.get(child.get_absolute_url()).content.decode()
    assert 'data-kb-watch="inherited"' in page
    agent_client.post(url, {"action": "unwatch"})
    assert not Watch.objects.get(user=agent).active

    secret = Group.objects.create(name="secret")
    restricted = make_section(
        tree["a"],
        title="R",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
    )
    denied = agent_client.post(
        reverse("notifications:watch_section", kwargs={"pk": restricted.pk}),
        {"action": "watch"},
    )
    assert denied.status_code == 404
    assert not Watch.objects.filter(section=restricted).exists()


def test_changes_page_compares_published_revisions_only(
    tree, agent_client, publisher, admin_user
):
    """A reader compares what they saw with what is published now; never a draft,
    and a block they may not read appears neither by content nor by key."""
    secret = Group.objects.create(name="secret")
    blocks.block_create(
        key="secret-rates",
        title="SECRET-BLOCK-TITLE",
        body="SECRET-BLOCK-BODY",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
        publish=True,
    )
    section = tree["refund"]
    first = section.published_revision
    result = sections.section_save(
        section=section,
        user=publisher,
        title=section.title,
        body="退款 5 天内处理。\n\n{{block:secret-rates}}",
        base=section.head_revision,
    )
    sections.revision_publish(section=section, revision=result.revision, user=publisher)
    section.refresh_from_db()
    draft = sections.section_save(
        section=section,
        user=publisher,
        title=section.title,
        body="DRAFT-TEXT",
        base=section.head_revision,
    ).revision
    url = reverse("manuals:changes", kwargs={"pk": section.pk})
    response = agent_client.get(f"{url}?since={first.number}")
    assert response.status_code == 200, response.content[:300]
    page = response.content.decode()
    assert "<ins>5 天内处理。</ins>" in page and "7 天内处理" in page
    assert "SECRET-BLOCK" not in page and "secret-rates" not in page
    assert "DRAFT-TEXT" not in page
    assert agent_client.get(f"{url}?since={draft.number}").status_code == 404
    assert agent_client.get(f"{url}?since=x").status_code == 404
