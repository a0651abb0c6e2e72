"""Read confirmations: who may ask, who owes, the bar on the section page (and its
query cost), confirming, material changes asking again (and nothing else doing so),
the notifications, the owner's status page and its CSV."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manuals.blocks import services as blocks
from manuals.models import Section, Visibility
from manuals.notifications.models import Kind, Notification
from manuals.people.models import Team
from manuals.sections import services as sections
from manuals.training import selectors, services
from manuals.training.models import Confirmation
from tests.factories import make_section, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def trainer(db):
    return make_user("trainer", username="trainer")


@pytest.fixture
def team(db, agent):
    team = Team.objects.create(name="售后组")
    team.members.add(agent)
    return team


def _fresh(section):
    return Section.objects.select_related("published_revision").get(pk=section.pk)


def _edit(section, user, body, **kwargs):
    section = _fresh(section)
    revision = sections.section_save(
        section=section,
        user=user,
        title=section.title,
        body=body,
        base=section.head_revision,
        **kwargs,
    ).revision
    sections.revision_publish(section=section, revision=revision, user=user)
    return revision


def test_only_owners_trainers_and_admins_may_ask(tree, agent, trainer, team):
    refund = tree["refund"]
    with pytest.raises(PermissionDenied):
        services.confirmation_request(section=refund, user=agent, team=team)
    request = services.confirmation_request(section=refund, user=trainer, team=team)
    assert request.audience_name == "售后组"
    owner = make_user("editor", username="owner")
    own = make_section(tree["a"], title="自己的", body="x", user=owner, publish=False)
    sections.revision_publish(
        section=own, revision=_fresh(own).head_revision, user=make_user("publisher")
    )
    services.confirmation_request(section=_fresh(own), user=owner, team=team)


def test_asking_people_who_cannot_read_is_refused_with_how_many(
    tree, trainer, team, admin_user
):
    secret = Group.objects.create(name="secret")
    restricted = make_section(
        tree["a"],
        title="机密",
        body="x",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
    )
    team.members.add(make_user("agent"), make_user("agent"))
    with pytest.raises(ValidationError) as exc:
        services.confirmation_request(section=restricted, user=admin_user, team=team)
    assert "3 people in it cannot read this section" in str(exc.value)
    with pytest.raises(PermissionDenied):  # the trainer cannot read it either
        services.confirmation_request(section=restricted, user=trainer, team=team)


def test_a_request_tells_the_team_and_they_owe_it_until_they_confirm(
    tree, agent, trainer, team
):
    refund = tree["refund"]
    services.confirmation_request(section=refund, user=trainer, team=team)
    note = Notification.objects.get(recipient=agent)
    assert note.kind == Kind.CONFIRMATION_REQUESTED
    assert note.url == refund.get_absolute_url()
    assert refund.pk in selectors.owed(agent)
    assert selectors.owed(trainer) == {}
    confirmation = services.confirmation_give(section=refund, user=agent)
    assert confirmation.revision_number == _fresh(refund).published_revision.number
    assert confirmation.material_version == 1
    assert selectors.owed(agent) == {}
    [row] = selectors.section_status(refund)
    assert (row.user, row.status) == (agent, selectors.CONFIRMED)
    with pytest.raises(ValidationError):
        confirmation.save()  # append-only


def test_groups_and_roles_can_be_asked_too(tree, agent, trainer):
    services.confirmation_request(
        section=tree["sop"], user=trainer, group=Group.objects.get(name="agent")
    )
    assert tree["sop"].pk in selectors.owed(agent)


def test_only_a_material_change_asks_again_and_says_what_changed(
    tree, agent, trainer, team, publisher
):
    refund = tree["refund"]
    services.confirmation_request(section=refund, user=trainer, team=team)
    services.confirmation_give(section=refund, user=agent)
    confirmed = _fresh(refund).published_revision.number
    Notification.objects.all().delete()

    _edit(
        refund, publisher, _fresh(refund).published_revision.body + " ", material=False
    )
    _edit(
        refund, publisher, "## 规则\n\n退款 7 天内处理。INTERNAL-CANARY。"
    )  # typo-sized
    assert selectors.owed(agent) == {}
    assert not Notification.objects.filter(kind=Kind.RECONFIRM).exists()

    _edit(refund, publisher, "## 规则\n\n退款 3 天内处理。", material=None)
    assert selectors.owed(agent) == {refund.pk: {"since": confirmed, "due": None}}
    [row] = selectors.section_status(refund)
    assert row.status == selectors.OUTDATED
    assert Notification.objects.filter(recipient=agent, kind=Kind.RECONFIRM).exists()


def test_a_blocks_material_change_asks_the_readers_of_its_followers(
    tree, agent, trainer, team, admin_user
):
    block = blocks.block_create(
        key="hotline",
        title="热线",
        body="400-800-1234",
        visibility=Visibility.INTERNAL,
        user=admin_user,
    )
    _edit(tree["sop"], admin_user, "1. 核实订单\n\n{{block:hotline}}")
    services.confirmation_request(section=tree["sop"], user=trainer, team=team)
    services.confirmation_give(section=tree["sop"], user=agent)
    block.refresh_from_db()
    revision = blocks.block_save(
        block=block, user=admin_user, body="400-800-9999", base=block.head_revision
    ).revision
    blocks.block_publish(block=block, revision=revision, user=admin_user)
    assert tree["sop"].pk in selectors.owed(agent)
    assert Notification.objects.filter(recipient=agent, kind=Kind.RECONFIRM).exists()


def test_the_bar_shows_to_those_who_owe_and_confirming_removes_it(
    tree, agent_client, agent, trainer, team, publisher
):
    refund = tree["refund"]
    url = _fresh(refund).get_absolute_url()
    assert "data-kb-confirm-bar" not in agent_client.get(url).content.decode()
    services.confirmation_request(section=refund, user=trainer, team=team)
    html = agent_client.get(url).content.decode()
    assert "I have read and understood</button>" in html  # markup, not text
    assert "data-kb-confirm-changes" not in html  # never confirmed: nothing to compare
    response = agent_client.post(reverse("training:confirm", args=[refund.pk]))
    assert response.status_code == 302
    assert Confirmation.objects.filter(user=agent, section=refund).count() == 1
    assert "data-kb-confirm-bar" not in agent_client.get(url).content.decode()

    confirmed = _fresh(refund).published_revision.number
    _edit(refund, publisher, "## 规则\n\n退款 3 天内处理。", material=True)
    html = agent_client.get(url).content.decode()
    assert "changed since you confirmed" in html
    changes = reverse("manuals:changes", args=[refund.pk]) + f"?since={confirmed}"
    assert changes in html
    assert agent_client.get(changes).status_code == 200


def test_the_bar_costs_no_query_on_a_warm_page(tree, agent_client, trainer, team):
    """Same budget as tests/manuals/test_navigation.py: four reads, bar included."""
    refund = tree["refund"]
    services.confirmation_request(section=refund, user=trainer, team=team)
    url = _fresh(refund).get_absolute_url()
    agent_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(url)
    assert "data-kb-confirm-bar" in response.content.decode()
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) <= 4, "\n".join(sql[:120] for sql in reads)


def test_the_status_page_and_csv_are_for_owners_and_trainers(
    tree, client, agent, trainer, team
):
    refund = tree["refund"]
    services.confirmation_request(section=refund, user=trainer, team=team)
    late = make_user("agent", username="late")
    team.members.add(late)
    services.confirmation_give(section=refund, user=agent)
    client.force_login(agent)
    assert client.get(reverse("training:status", args=[refund.pk])).status_code == 403
    client.force_login(trainer)
    html = client.get(reverse("training:status", args=[refund.pk])).content.decode()
    assert "1 confirmed, 0 confirmed an older meaning, 1 not yet." in html
    csv = client.get(reverse("training:status_csv", args=[refund.pk]))
    text = csv.content.decode("utf-8-sig")
    assert "agent,,Confirmed," in text
    assert "late,,Not yet," in text


def test_the_request_form(tree, client, trainer, team, agent):
    client.force_login(trainer)
    url = reverse("training:request", args=[tree["refund"].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"team": team.pk, "due": "2026-12-31", "note": "新规"})
    assert response.status_code == 302
    assert selectors.owed(agent)[tree["refund"].pk]["due"].isoformat() == "2026-12-31"
    both = client.post(url, {"team": team.pk, "group": Group.objects.first().pk})
    assert "Choose a team or a group" in both.content.decode()


def test_the_bell_and_the_audit_log_say_what_happened(
    tree, client, agent, trainer, team, admin_user
):
    services.confirmation_request(section=tree["refund"], user=trainer, team=team)
    client.force_login(agent)
    listing = client.get(reverse("notifications:index")).content.decode()
    assert "trainer asks you to read and confirm “退款政策”" in listing
    client.force_login(admin_user)
    log = client.get(reverse("manuals:audit")).content.decode()
    assert "trainer asked 售后组 to confirm “退款政策”" in log


def test_no_panel_for_anonymous_readers(tree, client, trainer, team):
    services.confirmation_request(section=tree["public_faq"], user=trainer, team=team)
    html = client.get(_fresh(tree["public_faq"]).get_absolute_url()).content.decode()
    assert "data-kb-confirm" not in html
