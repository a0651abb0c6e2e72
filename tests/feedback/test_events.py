"""Analytics events: page views and searches from the manual's signals, clicks."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from feedback import events
from feedback.models import PageView, SearchEvent
from manuals.audience import Audience
from manuals.signals import search_performed


def send_search(user, query, count, *, request=None, normalized=None):
    search_performed.send(
        sender=None,
        query=query,
        normalized=normalized or query.lower(),
        results_count=count,
        user=user,
        audience=Audience.for_user(user).key,  # as the search views send it
        request=request,
    )


def test_page_view_is_recorded_for_the_reader(agent_client, agent, tree):
    """Reading a published article records one view with section, revision, audience
    and the reader; it is buffered and written in a batch."""
    refund = tree["refund"]
    agent_client.get(refund.get_absolute_url())
    events.flush()
    view = PageView.objects.get()
    assert view.section_id == refund.pk
    assert view.revision_id == refund.published_revision_id
    assert view.audience == "internal"
    assert view.user == agent
    assert view.visitor == ""


@pytest.mark.django_db(transaction=True)
def test_views_are_buffered_until_a_batch_is_full(agent_client, tree, settings):
    """Outside a transaction (as in production) views wait in memory and are written
    together once the batch is full."""
    settings.KB_ANALYTICS_BATCH_SIZE = 3
    settings.KB_ANALYTICS_FLUSH_SECONDS = 3600
    url = tree["refund"].get_absolute_url()
    agent_client.get(url)
    agent_client.get(url)
    assert PageView.objects.count() == 0
    agent_client.get(url)
    assert PageView.objects.count() == 3


def test_anonymous_view_is_named_by_a_hash_not_an_ip(rf, tree):
    """An anonymous visitor's view (the public portal sends the same signal) stores a
    salted hash of the visitor, never the address."""
    from django.contrib.auth.models import AnonymousUser

    from manuals.models import Section
    from manuals.signals import section_viewed

    public = tree["public_faq"]
    request = rf.get("/", REMOTE_ADDR="192.0.2.44")
    request.user = AnonymousUser()
    section_viewed.send(
        sender=Section,
        section=public,
        revision=public.published_revision,
        request=request,
    )
    events.flush()
    view = PageView.objects.get()
    assert view.user is None
    assert view.audience == "public"
    assert len(view.visitor) == 64 and "192.0.2.44" not in view.visitor


def test_editors_draft_views_are_not_counted(publisher_client, tree):
    """Editors looking at a draft do not count as readers of the article."""
    publisher_client.get(tree["refund"].get_absolute_url() + "?draft=1")
    events.flush()
    # The section has no unpublished changes, so ?draft shows the published one.
    assert PageView.objects.count() == 1
    from manuals.sections import services

    refund = tree["refund"]
    services.section_save(
        section=refund,
        user=refund.owner,
        title=refund.title,
        body="草稿",
        base=refund.head_revision,
        message="draft",
    )
    publisher_client.get(refund.get_absolute_url() + "?draft=1")
    events.flush()
    assert PageView.objects.count() == 1


def test_analytics_can_be_switched_off(agent_client, tree, settings):
    """KB_ANALYTICS_ENABLED=False records nothing."""
    settings.KB_ANALYTICS_ENABLED = False
    agent_client.get(tree["refund"].get_absolute_url())
    events.flush()
    assert PageView.objects.count() == 0


def test_search_signal_records_a_search(agent, rf):
    """The search view's signal records query, normalized query, count, audience."""
    request = rf.get("/search/")
    request.user = agent
    send_search(agent, "退款 Policy", 0, request=request, normalized="退款 policy")
    events.flush()
    event = SearchEvent.objects.get()
    assert event.query == "退款 Policy"
    assert event.normalized == "退款 policy"
    assert event.results_count == 0
    assert event.audience == "internal"
    assert event.user == agent
    assert event.clicked_section is None


def test_click_marks_the_search_and_redirects(agent_client, agent, tree, rf):
    """Following a result through the click URL records which result at which rank
    and goes to the section; a second click keeps the first and counts both."""
    request = rf.get("/search/")
    request.user = agent
    send_search(agent, "退款", 3, request=request)
    refund = tree["refund"]
    url = (
        reverse("feedback:click")
        + "?"
        + urlencode({"q": "退款", "n": "退款", "section": refund.pk, "rank": 2})
    )
    response = agent_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == refund.get_absolute_url()
    agent_client.get(
        reverse("feedback:click")
        + "?"
        + urlencode({"q": "退款", "n": "退款", "section": tree["sop"].pk, "rank": 1})
    )
    event = SearchEvent.objects.get()
    assert event.clicked_section_id == refund.pk
    assert event.clicked_rank == 2
    assert event.clicks == 2


def test_click_to_an_unreadable_section_is_404(client, tree):
    """The click endpoint never redirects to (or reveals) a section the visitor
    cannot read, and records nothing."""
    url = (
        reverse("feedback:click")
        + "?"
        + urlencode({"q": "x", "section": tree["refund"].pk, "rank": 1})
    )
    assert client.get(url).status_code == 404
    assert client.get(reverse("feedback:click") + "?section=abc").status_code == 404
    assert client.get(reverse("feedback:click") + "?faq=abc").status_code == 404
    assert client.get(reverse("feedback:click") + "?faq=999999").status_code == 404
    assert client.get(reverse("feedback:click") + "?faq=1&rank=x").status_code == 404
    assert SearchEvent.objects.count() == 0


def test_real_search_page_sends_the_event(agent_client, agent, tree):
    """A search through the site's search page is recorded (the search view sends
    the signal; feedback listens)."""
    response = agent_client.get(reverse("search:results") + "?q=退款政策")
    assert response.status_code == 200
    events.flush()
    event = SearchEvent.objects.get()
    assert event.user == agent
    assert event.query == "退款政策"
    assert event.normalized
