"""Learning paths: building one (reading steps), assigning it (refused when someone
could not read a step), progress derived from confirmations, prerequisites, due
dates (absolute, N days after joining, in the site's time zone) and the screens."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from manuals.models import Section, Visibility
from manuals.notifications.models import Kind, Notification
from manuals.people.models import Team
from manuals.sections import services as sections
from manuals.training import selectors, services
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
    team = Team.objects.create(name="新人组")
    team.members.add(agent)
    return team


@pytest.fixture
def path(tree, trainer):
    path = services.path_create(user=trainer, name="新员工入职", level="newcomer")
    first = services.step_add(
        path=path, user=trainer, section=tree["refund"], minutes=30
    )
    services.step_add(
        path=path,
        user=trainer,
        section=tree["b"],
        subtree=True,
        minutes=60,
        prerequisite=first,
    )
    return path


def _fresh(section):
    return Section.objects.select_related("published_revision").get(pk=section.pk)


def test_only_trainers_build_and_assign(tree, agent, path, team):
    with pytest.raises(PermissionDenied):
        services.path_create(user=agent, name="x", level="newcomer")
    with pytest.raises(PermissionDenied):
        services.path_assign(path=path, user=agent, team=team)


def test_progress_comes_from_confirmations_with_prerequisites(
    tree, agent, trainer, team, path
):
    services.path_assign(path=path, user=trainer, team=team)
    assert Notification.objects.filter(
        recipient=agent, kind=Kind.PATH_ASSIGNED
    ).exists()
    [progress] = selectors.my_training(agent)
    states = [s.state for s in progress.steps]
    assert states == [selectors.TODO, selectors.LOCKED]
    assert (progress.done, progress.total, progress.minutes_left) == (0, 2, 90)
    # Reading steps put the confirmation bar on their sections.
    owed = selectors.owed(agent)
    assert {tree["refund"].pk, tree["b"].pk, tree["scripts"].pk} <= set(owed)

    services.confirmation_give(section=tree["refund"], user=agent)
    [progress] = selectors.my_training(agent)
    assert [s.state for s in progress.steps] == [selectors.DONE, selectors.TODO]
    subtree = progress.steps[1]
    assert [s.pk for s in subtree.sections] == [tree["b"].pk, tree["scripts"].pk]
    for key in ("b", "scripts"):
        services.confirmation_give(section=tree[key], user=agent)
    [progress] = selectors.my_training(agent)
    assert progress.complete and progress.percent == 100


def test_a_material_change_reopens_a_done_step_and_editing_keeps_the_rest(
    tree, agent, trainer, team, path, admin_user
):
    services.path_assign(path=path, user=trainer, team=team)
    services.confirmation_give(section=tree["refund"], user=agent)
    services.step_add(path=path, user=trainer, section=tree["sop"], minutes=15)
    [progress] = selectors.my_training(agent)
    assert [s.state for s in progress.steps] == [
        selectors.DONE,
        selectors.TODO,
        selectors.TODO,
    ]
    refund = _fresh(tree["refund"])
    revision = sections.section_save(
        section=refund,
        user=admin_user,
        title=refund.title,
        body="## 规则\n\n退款 3 天内处理。",
        base=refund.head_revision,
    ).revision
    sections.revision_publish(section=refund, revision=revision, user=admin_user)
    [progress] = selectors.my_training(agent)
    assert progress.steps[0].state == selectors.READ_AGAIN


def test_assigning_to_people_who_cannot_read_a_step_is_refused(
    tree, trainer, team, admin_user, path
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
    services.step_add(path=path, user=admin_user, section=restricted)
    with pytest.raises(ValidationError) as exc:
        services.path_assign(path=path, user=trainer, team=team)
    assert "1 person it is assigned to cannot read a step" in str(exc.value)


def test_a_step_the_reader_cannot_see_is_not_shown(
    tree, agent, trainer, team, path, admin_user
):
    """A section restricted after the path was assigned drops out of the agent's
    view of it (and out of what they owe), as every list does."""
    services.path_assign(path=path, user=trainer, team=team)
    secret = Group.objects.create(name="secret")
    sections.section_update_settings(
        section=_fresh(tree["refund"]),
        user=admin_user,
        kind=tree["refund"].kind,
        visibility=Visibility.RESTRICTED,
        groups=[secret],
    )
    [progress] = selectors.my_training(agent)
    assert [s.step.section_id for s in progress.steps] == [tree["b"].pk]
    assert tree["refund"].pk not in selectors.owed(agent)
    html = _client_page(agent)
    assert tree["refund"].title not in html


def _client_page(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(reverse("training:mine")).content.decode()


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_due_n_days_after_joining_in_the_sites_time_zone(
    tree, agent, trainer, team, path, settings, zone
):
    settings.TIME_ZONE = zone
    joined = datetime.datetime(2026, 3, 1, 20, 0, tzinfo=datetime.UTC)
    type(agent).objects.filter(pk=agent.pk).update(date_joined=joined)
    agent.refresh_from_db()
    assignment = services.path_assign(path=path, user=trainer, team=team, due_days=7)
    type(assignment).objects.filter(pk=assignment.pk).update(
        created=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    )
    [progress] = selectors.my_training(agent)
    # 20:00 UTC is already the next day in Shanghai.
    expected = datetime.date(2026, 3, 9 if zone == "Asia/Shanghai" else 8)
    with timezone.override(zone):
        assert progress.due == expected
    assert progress.overdue  # long past, nothing done


def test_the_screens(tree, client, trainer, agent, team):
    client.force_login(trainer)
    response = client.post(
        reverse("training:paths"), {"name": "进阶", "level": "advanced", "active": "on"}
    )
    assert response.status_code == 302
    url = response["Location"]
    response = client.post(
        url, {"add_step": "1", "section": tree["sop"].pk, "minutes": "20"}
    )
    assert response.status_code == 302
    response = client.post(url, {"assign": "1", "team": team.pk, "due": "2030-01-01"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "新人组" in page and tree["sop"].title in page
    client.force_login(agent)
    assert client.get(url).status_code == 403
    mine = client.get(reverse("training:mine")).content.decode()
    assert "进阶" in mine and "0 of 1 steps done" in mine and "due 2030-01-01" in mine
    home = client.get(reverse("home")).content.decode()
    assert reverse("training:mine") in home


def test_the_trainers_report_per_person(tree, agent, trainer, team, path):
    """Each person the path reaches, with the steps done of those they may read,
    and overdue marked in the site's time zone."""
    late = make_user("agent", username="late")
    team.members.add(late)
    services.path_assign(
        path=path, user=trainer, team=team, due=datetime.date(2020, 1, 1)
    )
    services.confirmation_give(section=tree["refund"], user=agent)
    rows = {r.user.username: r for r in selectors.path_report(path)}
    assert (rows["agent"].done, rows["agent"].total) == (1, 2)
    assert (rows["late"].done, rows["late"].total) == (0, 2)
    assert rows["late"].overdue
