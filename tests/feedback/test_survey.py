"""The survey at the end of every article: answer, change, one per revision, abuse."""

import pytest
from django.urls import reverse

from feedback.models import ArticleFeedback, Status
from manuals import services as manual_services


def survey_url(section):
    return reverse("feedback:survey", args=[section.pk])


def answer(client, section, helpful="no", **extra):
    data = {"helpful": helpful, "revision": section.published_revision_id, **extra}
    return client.post(survey_url(section), data)


def test_article_page_ends_with_the_survey(agent_client, tree):
    """An agent reading an article sees the yes/no survey posting to the survey URL."""
    html = agent_client.get(tree["refund"].get_absolute_url()).content.decode()
    assert 'id="kb-survey"' in html
    assert f'action="{survey_url(tree["refund"])}"' in html
    assert 'name="helpful" value="no"' in html


def test_agent_answers_not_helpful_with_reasons(agent_client, agent, tree):
    """Without JavaScript the form posts, stores the answer and returns to the
    article, where the reader's choice is shown as chosen with the details form."""
    refund = tree["refund"]
    response = answer(
        agent_client,
        refund,
        rating="2",
        reasons=["outdated", "unclear"],
        comment="退款时限已经改成 14 天",
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#kb-survey")
    feedback = ArticleFeedback.objects.get()
    assert feedback.user == agent
    assert feedback.revision == refund.published_revision
    assert feedback.helpful is False
    assert feedback.rating == 2
    assert feedback.reason_list == ["outdated", "unclear"]
    assert feedback.comment == "退款时限已经改成 14 天"
    assert feedback.status == Status.NEW
    assert feedback.audience == "internal"
    html = agent_client.get(refund.get_absolute_url()).content.decode()
    assert "kb-survey-no is-chosen" in html
    assert 'value="outdated" checked' in html


def test_reader_can_change_their_answer(agent_client, tree):
    """A second answer on the same revision changes the first one; no duplicate."""
    answer(agent_client, tree["refund"], "no", reasons=["wrong"])
    answer(agent_client, tree["refund"], "yes", rating="5")
    feedback = ArticleFeedback.objects.get()
    assert feedback.helpful is True
    assert feedback.rating == 5
    assert feedback.reason_list == []


def test_one_answer_per_reader_per_revision(agent_client, tree, admin_user):
    """After a new revision is published the reader answers again, as a new row."""
    refund = tree["refund"]
    answer(agent_client, refund, "no")
    result = manual_services.save_revision(
        refund,
        user=admin_user,
        title=refund.title,
        body="新版本",
        base=refund.head_revision,
        message="fix",
    )
    manual_services.publish_revision(refund, result.revision, user=admin_user)
    refund.refresh_from_db()
    answer(agent_client, refund, "yes")
    assert ArticleFeedback.objects.count() == 2
    assert sorted(ArticleFeedback.objects.values_list("helpful", flat=True)) == [
        False,
        True,
    ]


def test_fetch_gets_the_updated_survey_fragment(agent_client, tree):
    """With JavaScript the survey posts with X-Requested-With and swaps in the
    returned fragment, which thanks the reader and offers the details."""
    response = agent_client.post(
        survey_url(tree["refund"]),
        {"helpful": "no", "revision": tree["refund"].published_revision_id},
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="kb-survey"')
    assert "kb-survey-no is-chosen" in html
    assert 'name="reasons"' in html


def test_anonymous_visitor_answers_on_a_public_article(client, tree):
    """The survey works for anonymous visitors on public articles; they are named by
    a salted hash, never by their address."""
    public = tree["public_faq"]
    response = client.post(
        survey_url(public),
        {"helpful": "yes", "revision": public.published_revision_id},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    feedback = ArticleFeedback.objects.get()
    assert feedback.user is None
    assert feedback.audience == "public"
    assert len(feedback.visitor) == 64
    assert "203.0.113.9" not in feedback.visitor


def test_survey_on_unreadable_section_is_404(client, tree):
    """Nobody can post a survey on a section they cannot read: an anonymous visitor
    on an internal article gets 404 and nothing is stored."""
    refund = tree["refund"]
    response = client.post(
        survey_url(refund), {"helpful": "no", "revision": refund.published_revision_id}
    )
    assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_revision_of_another_section_is_refused(agent_client, tree):
    """A revision id from another section is not accepted."""
    response = agent_client.post(
        survey_url(tree["refund"]),
        {"helpful": "no", "revision": tree["sop"].published_revision_id},
    )
    assert response.status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_anonymous_answers_are_rate_limited(client, tree, settings):
    """An anonymous visitor may send KB_FEEDBACK_RATE_LIMIT answers an hour; the next
    one is refused with 429 and not stored."""
    settings.KB_FEEDBACK_RATE_LIMIT = 2
    public = tree["public_faq"]
    data = {"helpful": "yes", "revision": public.published_revision_id}
    fetch = {"X-Requested-With": "fetch"}
    assert client.post(survey_url(public), data, headers=fetch).status_code == 200
    data["helpful"] = "no"
    assert client.post(survey_url(public), data, headers=fetch).status_code == 200
    data["helpful"] = "yes"
    third = client.post(survey_url(public), data, headers=fetch)
    assert third.status_code == 429
    assert ArticleFeedback.objects.get().helpful is False
    other = client.post(
        survey_url(public), data, headers=fetch, REMOTE_ADDR="198.51.100.7"
    )
    assert other.status_code == 200  # another visitor has their own allowance


def test_logged_in_readers_are_not_rate_limited(agent_client, tree, settings):
    """Staff are named by their account, so the anonymous limit does not apply."""
    settings.KB_FEEDBACK_RATE_LIMIT = 1
    for helpful in ("yes", "no", "yes"):
        assert answer(agent_client, tree["refund"], helpful).status_code == 302
    assert ArticleFeedback.objects.get().helpful is True


def test_honeypot_answers_are_thanked_and_dropped(client, tree):
    """A robot that fills the hidden field is thanked and nothing is stored."""
    public = tree["public_faq"]
    response = client.post(
        survey_url(public),
        {
            "helpful": "no",
            "revision": public.published_revision_id,
            "website": "http://spam.example",
        },
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 200
    assert "kb-survey-thanks" in response.content.decode()
    assert not ArticleFeedback.objects.exists()


def test_long_comments_are_refused(agent_client, tree):
    """Comments longer than 1000 characters are refused (400 for the inline form)."""
    response = agent_client.post(
        survey_url(tree["refund"]),
        {
            "helpful": "no",
            "revision": tree["refund"].published_revision_id,
            "comment": "长" * 1001,
        },
        headers={"X-Requested-With": "fetch"},
    )
    assert response.status_code == 400
    assert not ArticleFeedback.objects.exists()


@pytest.mark.parametrize("verb", ["get", "put"])
def test_survey_only_accepts_post(agent_client, tree, verb):
    """The survey endpoint answers only POST."""
    response = getattr(agent_client, verb)(survey_url(tree["refund"]))
    assert response.status_code == 405


def test_answer_is_shown_again_after_signing_in_anew(client, agent, tree):
    """The session remembers which revisions the reader answered (so unanswered
    pages need no query); a new session, after logging out and in, learns them at
    login, and the page still shows the reader's answer."""
    from django.test import Client

    refund = tree["refund"]
    client.force_login(agent)
    answer(client, refund, "no", reasons=["outdated"])
    assert (
        "kb-survey-no is-chosen"
        in client.get(refund.get_absolute_url()).content.decode()
    )
    client.logout()

    other_device = Client()
    other_device.force_login(agent)
    html = other_device.get(refund.get_absolute_url()).content.decode()
    assert "kb-survey-no is-chosen" in html
    assert 'value="outdated" checked' in html
    # A revision never answered shows the empty survey.
    html = other_device.get(tree["sop"].get_absolute_url()).content.decode()
    assert "is-chosen" not in html
