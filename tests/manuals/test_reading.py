"""A reader's own things: favourites, recently viewed sections, what changed since
their last visit, and the home page that lists them (readable sections only, one
query per list, and no write on a repeat view of a section)."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manuals.models import Favourite, Revision, Section, SectionVisit, Visibility
from manuals.sections import reading, services


def _fresh(section):
    return Section.objects.select_related("published_revision").get(pk=section.pk)


def _publish_new_revision(section, user, body, *, minor=False):
    """A new published revision of `section` (built directly so `minor` is set)."""
    section = _fresh(section)
    head = section.head_revision
    revision = Revision.objects.create(
        section=section,
        number=head.number + 1,
        title=section.title,
        body=body,
        author=user,
        base=head,
        minor=minor,
    )
    services.revision_publish(section=section, revision=revision, user=user)
    return revision


def _restrict(section, user, group_name="vip"):
    group, _ = Group.objects.get_or_create(name=group_name)
    services.section_update_settings(
        section=_fresh(section),
        user=user,
        kind=section.kind,
        visibility=Visibility.RESTRICTED,
        groups=[group],
    )
    return group


def _reloaded(user):
    """The user read again, with their permissions and groups loaded as a request
    loads them (so a list's query count is its own)."""
    from manuals.audience import Audience

    user = type(user).objects.get(pk=user.pk)
    Audience.for_user(user)
    return user


def _visit_writes(queries) -> list[str]:
    table = SectionVisit._meta.db_table
    return [
        q["sql"]
        for q in queries
        if table in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


# --- favourites -------------------------------------------------------------------


def test_star_and_unstar_a_section(tree, agent, agent_client):
    """The star on a section page is a plain form: posting it adds the section to
    the reader's favourites and the page then shows it starred; posting again with
    the page's action removes it."""
    refund = _fresh(tree["refund"])
    url = reverse("manuals:favourite", kwargs={"pk": refund.pk})
    html = agent_client.get(refund.get_absolute_url()).content.decode()
    assert f'action="{url}"' in html and 'value="add"' in html

    response = agent_client.post(url, {"action": "add"})
    assert response.status_code == 302
    assert response["Location"] == refund.get_absolute_url()
    assert Favourite.objects.filter(user=agent, section=refund).count() == 1
    html = agent_client.get(refund.get_absolute_url()).content.decode()
    assert 'value="remove"' in html and 'aria-pressed="true"' in html

    agent_client.post(url, {"action": "add"})  # twice: still once
    assert Favourite.objects.filter(user=agent, section=refund).count() == 1

    agent_client.post(url, {"action": "remove"})
    assert not Favourite.objects.filter(user=agent, section=refund).exists()
    html = agent_client.get(refund.get_absolute_url()).content.decode()
    assert 'value="add"' in html


def test_star_without_action_toggles_and_goes_back(tree, agent, agent_client):
    """Without an action the star toggles; a local `next` is followed, another
    site's is not."""
    sop = tree["sop"]
    url = reverse("manuals:favourite", kwargs={"pk": sop.pk})
    response = agent_client.post(url, {"next": "/favourites/"})
    assert response["Location"] == "/favourites/"
    assert Favourite.objects.filter(user=agent, section=sop).exists()
    response = agent_client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == _fresh(sop).get_absolute_url()
    assert not Favourite.objects.filter(user=agent, section=sop).exists()
    assert agent_client.post(url, {"action": "explode"}).status_code == 404


def test_cannot_star_what_you_cannot_read(tree, admin_user, agent, client):
    """A section the reader may not read is a 404, for starring and unstarring
    alike: restricted to a group they are not in, in the trash, or not published.
    A reader without internal access cannot star internal sections."""
    from tests.factories import make_section, make_user

    _restrict(tree["scripts"], admin_user)
    draft = make_section(tree["a"], title="草稿", user=admin_user, publish=False)
    gone = make_section(tree["a"], title="将删除", user=admin_user)
    services.section_delete(section=gone, user=admin_user)
    client.force_login(agent)
    for section in (tree["scripts"], draft, gone):
        for action in ("add", "remove"):
            url = reverse("manuals:favourite", kwargs={"pk": section.pk})
            assert client.post(url, {"action": action}).status_code == 404
    assert not Favourite.objects.exists()

    client.force_login(make_user(username="no-role"))
    url = reverse("manuals:favourite", kwargs={"pk": tree["refund"].pk})
    assert client.post(url, {"action": "add"}).status_code == 404
    url = reverse("manuals:favourite", kwargs={"pk": tree["public_faq"].pk})
    assert client.post(url, {"action": "add"}).status_code == 302
    assert Favourite.objects.count() == 1


def test_star_is_post_only_and_needs_a_login(tree, agent_client):
    url = reverse("manuals:favourite", kwargs={"pk": tree["refund"].pk})
    assert agent_client.get(url).status_code == 405
    agent_client.logout()
    response = agent_client.post(url, {"action": "add"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Favourite.objects.exists()


def test_the_service_refuses_what_the_user_cannot_read(tree, admin_user, agent):
    from django.core.exceptions import PermissionDenied

    _restrict(tree["scripts"], admin_user)
    with pytest.raises(PermissionDenied):
        reading.favourite_add(user=agent, section=_fresh(tree["scripts"]))
    with pytest.raises(PermissionDenied):
        reading.favourite_add(user=AnonymousUser(), section=_fresh(tree["help"]))


def test_favourites_hide_sections_that_became_unreadable(
    tree, admin_user, agent, agent_client, django_assert_num_queries
):
    """A starred section restricted to a group the reader is not in, or moved to the
    trash, leaves their lists (the star stays, and comes back with access)."""
    for key in ("refund", "sop", "scripts"):
        reading.favourite_add(user=agent, section=_fresh(tree[key]))
    group = _restrict(tree["refund"], admin_user)
    services.section_delete(section=_fresh(tree["scripts"]), user=admin_user)
    agent = _reloaded(agent)
    with django_assert_num_queries(1):
        titles = [f.section.title for f in reading.favourites_for(user=agent)]
    assert titles == ["退货流程"]
    html = agent_client.get(reverse("manuals:favourites")).content.decode()
    assert "退货流程" in html and "退款政策" not in html and "愤怒客户话术" not in html
    html = agent_client.get(reverse("home")).content.decode()
    assert "退货流程" in html and "愤怒客户话术" not in html

    agent.groups.add(group)
    agent = type(agent).objects.get(pk=agent.pk)
    assert {f.section.title for f in reading.favourites_for(user=agent)} == {
        "退款政策",
        "退货流程",
    }


def test_favourites_page_lists_and_unstars(tree, agent, agent_client):
    """The "My favourites" page lists every favourite with its star; unstarring
    from there comes back to the list."""
    reading.favourite_add(user=agent, section=_fresh(tree["sop"]))
    page = reverse("manuals:favourites")
    html = agent_client.get(page).content.decode()
    assert "退货流程" in html and f'name="next" value="{page}"' in html
    url = reverse("manuals:favourite", kwargs={"pk": tree["sop"].pk})
    response = agent_client.post(url, {"action": "remove", "next": page})
    assert response["Location"] == page
    assert "退货流程" not in agent_client.get(page).content.decode()


# --- visits -----------------------------------------------------------------------


def test_opening_a_section_records_the_visit(tree, agent, agent_client):
    """A signed-in reader's GET of a section records which published revision they
    saw and when; opening it again within the window writes nothing at all."""
    refund = _fresh(tree["refund"])
    agent_client.get(refund.get_absolute_url())
    visit = SectionVisit.objects.get(user=agent, section=refund)
    assert visit.revision_id == refund.published_revision_id
    first_seen = visit.viewed

    with CaptureQueriesContext(connection) as queries:
        assert agent_client.get(refund.get_absolute_url()).status_code == 200
    assert _visit_writes(queries) == []
    visit.refresh_from_db()
    assert visit.viewed == first_seen


def test_a_visit_is_one_write(tree, agent):
    """Recording a visit is one statement, new or not, and none within the window."""
    refund = _fresh(tree["refund"])
    for expected in (1, 0):
        with CaptureQueriesContext(connection) as queries:
            reading.visit_record(
                user=agent, section=refund, revision=refund.published_revision
            )
        assert len(queries) == expected, [q["sql"] for q in queries]
    cache.clear()  # the window has passed
    with CaptureQueriesContext(connection) as queries:
        assert reading.visit_record(
            user=agent, section=refund, revision=refund.published_revision
        )
    assert len(queries) == 1
    assert SectionVisit.objects.filter(user=agent).count() == 1


def test_a_new_revision_is_recorded_at_once(tree, admin_user, agent, agent_client):
    """Within the window, a newly published revision is still recorded."""
    refund = _fresh(tree["refund"])
    agent_client.get(refund.get_absolute_url())
    new = _publish_new_revision(refund, admin_user, "新的规则")
    agent_client.get(_fresh(refund).get_absolute_url())
    assert SectionVisit.objects.get(user=agent, section=refund).revision_id == new.pk


def test_no_visit_for_anonymous_portal_drafts_or_posts(
    tree, admin_user, agent, agent_client, client
):
    """Nothing is written for anonymous readers, for the public portal (whoever
    reads it), for an editor looking at a draft, or for a POST to a section page."""
    help_page = _fresh(tree["public_faq"])
    assert not reading.visit_record(
        user=AnonymousUser(), section=help_page, revision=help_page.published_revision
    )
    assert client.get(f"/help/a/{help_page.pk}/", follow=True).status_code == 200
    assert agent_client.get(f"/help/a/{help_page.pk}/", follow=True).status_code == 200
    agent_client.post(_fresh(tree["sop"]).get_absolute_url())
    assert not SectionVisit.objects.exists()

    sop = _fresh(tree["sop"])
    head = sop.head_revision
    services.section_save(
        section=sop, user=admin_user, title=sop.title, body="草稿正文", base=head
    )
    client.force_login(admin_user)
    client.get(_fresh(sop).get_absolute_url() + "?draft=1")
    assert not SectionVisit.objects.exists()
    client.get(_fresh(sop).get_absolute_url())
    assert SectionVisit.objects.get().revision_id == sop.published_revision_id


def test_recently_viewed_lists_readable_sections_newest_first(
    tree, admin_user, agent, django_assert_num_queries
):
    """Recently viewed: newest first, only what the reader may still read."""
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    for minutes, key in ((3, "refund"), (2, "sop"), (1, "scripts")):
        section = _fresh(tree[key])
        SectionVisit.objects.create(
            user=agent,
            section=section,
            revision=section.published_revision,
            viewed=now - dt.timedelta(minutes=minutes),
        )
    _restrict(tree["sop"], admin_user)
    agent = _reloaded(agent)
    with django_assert_num_queries(1):
        titles = [v.section.title for v in reading.recently_viewed(user=agent)]
    assert titles == ["愤怒客户话术", "退款政策"]
    assert reading.recently_viewed(user=AnonymousUser()) == []


# --- what changed -----------------------------------------------------------------


def test_changed_since_last_visit(
    tree, admin_user, agent, agent_client, django_assert_num_queries
):
    """A section whose published revision is newer than the one the reader saw is
    listed, linked to what changed since the revision they saw; a minor edit alone
    is not news; opening the section clears it; an unreadable one is never listed."""
    refund, sop, scripts = (_fresh(tree[k]) for k in ("refund", "sop", "scripts"))
    for section in (refund, sop, scripts):
        agent_client.get(section.get_absolute_url())
    seen = refund.published_revision.number
    _publish_new_revision(refund, admin_user, "退款 3 天内处理。")
    _publish_new_revision(sop, admin_user, "1. 核实订单号", minor=True)
    _publish_new_revision(scripts, admin_user, "新的话术")
    _restrict(scripts, admin_user)

    agent = _reloaded(agent)
    with django_assert_num_queries(1):
        changed = reading.changed_since_visit(user=agent)
    assert [v.section_id for v in changed] == [refund.pk]
    assert changed[0].changes_url == reading.changes_url(
        refund.pk, seen, _fresh(refund).get_absolute_url()
    )
    html = agent_client.get(reverse("home")).content.decode()
    assert changed[0].changes_url.replace("&", "&amp;") in html

    agent_client.get(_fresh(refund).get_absolute_url())
    assert reading.changed_since_visit(user=agent) == []


def test_changes_link_points_at_the_readers_diff():
    """The link goes to manuals:changes (?since=) when the site has that page, and to
    the section otherwise."""
    from django.urls import NoReverseMatch

    try:
        expected = reverse("manuals:changes", kwargs={"pk": 7}) + "?since=3"
    except NoReverseMatch:
        expected = "/s/7/"
    assert reading.changes_url(7, 3, "/s/7/") == expected


# --- the home page ----------------------------------------------------------------


def test_home_lists_cost_one_query_each(tree, admin_user, agent, client):
    """The agent's home page shows what changed, favourites and recently viewed;
    each list is one query, so the page costs the same with many of them."""
    for key in ("refund", "sop", "scripts", "a", "b"):
        section = _fresh(tree[key])
        reading.favourite_add(user=agent, section=section)
        reading.visit_record(
            user=agent, section=section, revision=section.published_revision
        )
    _publish_new_revision(tree["refund"], admin_user, "新")
    client.force_login(agent)
    client.get(reverse("home"))  # navigation cached

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.context["favourites"] and response.context["recently_viewed"]
    assert [v.section_id for v in response.context["changed_since_visit"]] == [
        tree["refund"].pk
    ]
    assert "kb-home-changed" in html and "kb-favourites" in html
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    # session, user, permissions, change stamp, and the three lists
    assert len(reads) <= 7, "\n".join(sql[:120] for sql in reads)
    own = [
        sql
        for sql in reads
        if Favourite._meta.db_table in sql or SectionVisit._meta.db_table in sql
    ]
    assert len(own) == 3


def test_home_without_anything_of_ones_own(tree, agent_client):
    """A new reader's home page has no "changed" block and says what the lists are
    for, in English when asked."""
    html = agent_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content
    html = html.decode()
    assert "kb-home-changed" not in html
    assert "Star a section to keep it here." in html
