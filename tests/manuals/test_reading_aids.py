"""Reading aids around the article: what a search that found nothing offers, the
keyboard shortcuts page, the revision line a printout carries, the header's menu
button. Pages are asked for in English, so the text checks hold whatever the
Chinese catalogue says."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from manuals.models import Kind, Visibility
from manuals.search import selectors
from manuals.sections import services
from tests.factories import make_section, make_user
from tests.feedback.factories import views

NOTHING = "zqxjvwkqz"  # matches no section, in any index


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


def get(client, url, **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def popular(tree, admin_user, agent):
    """Read counts over the last weeks: a restricted section, a draft and a trashed
    section are read most, yet the agent may read none of them."""
    group = Group.objects.create(name="vip-team")
    restricted = make_section(
        tree["a"],
        title="VIP 专属 RESTRICTED-CANARY",
        kind=Kind.POLICY,
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=admin_user,
    )
    draft = make_section(
        tree["a"], title="未发布草稿 DRAFT-CANARY", user=admin_user, publish=False
    )
    trashed = make_section(tree["b"], title="已删除 TRASH-CANARY", user=admin_user)
    views(restricted, 50, days_ago=1, user=admin_user)
    views(draft, 40, days_ago=1, user=admin_user)
    views(trashed, 30, days_ago=1, user=admin_user)
    services.section_delete(section=trashed, user=admin_user)
    views(tree["sop"], 20, days_ago=2, user=agent)
    views(tree["refund"], 10, days_ago=3, user=agent)
    return {**tree, "restricted": restricted, "draft": draft, "trashed": trashed}


def test_zero_results_say_what_happened_and_offer_a_way_on(agent_client, popular):
    """A search that found nothing says so, and offers the FAQ, the articles read
    most and a question to the editors (saying that editors answer)."""
    response = get(agent_client, reverse("search:results"), q=NOTHING)
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-kb-no-results" in html
    assert "No section you may read matches these words." in html
    assert f'href="{reverse("faq:index")}"' in html
    assert f'action="{reverse("faq:ask")}"' in html
    assert "The editors of the manual answer questions" in html
    assert f'value="{NOTHING}"' in html  # the question starts from the query
    listed = [s.pk for s in response.context["popular"]]
    assert listed[:2] == [popular["sop"].pk, popular["refund"].pk]


def test_popular_articles_never_list_what_the_reader_may_not_read(
    agent_client, popular
):
    """Restricted, unpublished and trashed sections are left out of the list however
    often they are read, and no manual or chapter is listed as an article."""
    response = get(agent_client, reverse("search:results"), q=NOTHING)
    html = response.content.decode()
    for canary in ("RESTRICTED-CANARY", "DRAFT-CANARY", "TRASH-CANARY"):
        assert canary not in html
    kinds = {s.kind for s in response.context["popular"]}
    assert not kinds & {Kind.MANUAL, Kind.CHAPTER}


def test_popular_articles_follow_the_readers_groups(popular):
    """A member of the restricted section's group sees it among the popular ones;
    readers outside the internal manual see only public sections."""
    member = make_user("agent", username="vip")
    member.groups.add(Group.objects.get(name="vip-team"))
    assert popular["restricted"] in selectors.popular_sections(member)
    public_reader = make_user(username="outsider")
    found = selectors.popular_sections(public_reader)
    assert found == [popular["public_faq"]]


def test_filtered_zero_results_say_the_filters_narrowed_it(agent_client, tree):
    """With facet filters chosen, the page says the filters took part."""
    response = get(agent_client, reverse("search:results"), q=NOTHING, kind="sop")
    assert "with the filters chosen" in response.content.decode()


def test_results_page_has_a_filter_button_only_with_facets(agent_client, tree):
    """No facets, no "Filter" button (there would be nothing behind it)."""
    response = get(agent_client, reverse("search:results"), q=NOTHING)
    assert "data-kb-facets-toggle" not in response.content.decode()


def test_keyboard_shortcuts_page_linked_from_search_help(agent_client):
    """The search tips link to the shortcuts, which list /, Ctrl+S and Esc."""
    tips = get(agent_client, reverse("search:help")).content.decode()
    assert f'href="{reverse("search:keys")}"' in tips
    response = get(agent_client, reverse("search:keys"))
    html = response.content.decode()
    assert response.status_code == 200
    for key in ("<kbd>/</kbd>", "<kbd>Ctrl</kbd>", "<kbd>S</kbd>", "<kbd>Esc</kbd>"):
        assert key in html


def test_section_page_names_its_revision_and_date(agent_client, tree):
    """The page carries the revision number and its date (a printout keeps them)."""
    section = tree["refund"]
    revision = section.published_revision
    html = get(agent_client, section.get_absolute_url()).content.decode()
    assert "data-kb-revision" in html
    assert f"Revision {revision.number}" in html
    assert revision.created.strftime("%Y-%m-%d") in html


def test_header_menu_button_and_folded_contents(agent_client, tree):
    """The header's links fold behind a menu button on narrow screens; the sidebar
    starts folded there (aria-expanded false) and the scripts' words are on the
    page in the reader's language."""
    html = get(agent_client, tree["refund"].get_absolute_url()).content.decode()
    assert (
        'data-kb-menu-toggle aria-expanded="false" aria-controls="kb-usernav"' in html
    )
    assert 'id="kb-usernav"' in html
    assert (
        'data-kb-toggle-sidebar aria-expanded="false" aria-controls="kb-tree"' in html
    )
    assert 'data-copied="Copied"' in html
    assert "manuals/css/print.css" in html
