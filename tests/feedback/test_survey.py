"""The survey at the end of every article: answer, change, one per revision, abuse."""

import pytest
from django.urls import reverse

from feedback.models import ArticleFeedback, Status
from manuals.sections import services as manual_services

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


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
    result = manual_services.section_save(
        section=refund,
        user=admin_user,
        title=refund.title,
        body="新版本",
        base=refund.head_revision,
        message="fix",
    )
    manual_services.revision_publish(
        section=refund, revision=result.revision, user=admin_user
    )
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


def test_long_comment_without_javascript_shows_the_survey_again(agent_client, tree):
    """A plain form post with an over-long comment is answered with the survey again
    (400): the message, the chosen answer and the typed comment, to shorten and send;
    nothing is stored and nothing typed is lost."""
    refund = tree["refund"]
    comment = "退款时限写错了。" * 130  # 1040 characters
    response = agent_client.post(
        survey_url(refund),
        {
            "helpful": "no",
            "revision": refund.published_revision_id,
            "rating": "2",
            "reasons": ["outdated"],
            "comment": comment,
            "next": refund.get_absolute_url(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The comment is too long: at most 1000 characters, and it has 1040." in html
    assert f'aria-invalid="true">{comment}</textarea>' in html
    assert "kb-survey-no is-chosen" in html
    assert 'value="outdated" checked' in html
    assert 'value="2" checked' in html
    assert f'name="next" value="{refund.get_absolute_url()}"' in html
    assert f'href="{refund.get_absolute_url()}"' in html  # back to the article
    assert not ArticleFeedback.objects.exists()

    # Sent again, shortened, from that page: stored, and back to the article.
    response = agent_client.post(
        survey_url(refund),
        {
            "helpful": "no",
            "revision": refund.published_revision_id,
            "comment": comment[:1000],
            "next": refund.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == refund.get_absolute_url() + "#kb-survey"
    assert ArticleFeedback.objects.get().comment == comment[:1000]


def test_long_comment_on_the_portal_shows_the_portal_survey(client, tree):
    """An anonymous visitor of the help centre gets the survey again in the help
    centre's own look, not the staff site's."""
    public = tree["public_faq"]
    article = reverse("portal:article_id", args=[public.pk])
    response = client.post(
        survey_url(public),
        {
            "helpful": "no",
            "revision": public.published_revision_id,
            "comment": "x" * 1001,
            "next": article,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<body class="portal' in html
    assert "x" * 1001 + "</textarea>" in html
    assert 'name="robots" content="noindex"' in html
    assert "INTERNAL-CANARY" not in html


@pytest.mark.parametrize("language", [None, "en"], ids=["site-language", "en"])
def test_long_comment_with_javascript_gets_json_errors(agent_client, tree, language):
    """Comments longer than 1000 characters are refused: the script's post gets the
    errors as JSON (400), field by field; the script shows them and leaves the form,
    with the typed comment, as it is."""
    extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    response = agent_client.post(
        survey_url(tree["refund"]),
        {
            "helpful": "no",
            "revision": tree["refund"].published_revision_id,
            "comment": "长" * 1001,
        },
        headers={"X-Requested-With": "fetch"},
        **extra,
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert list(errors) == ["comment"]
    assert errors["comment"][0]["code"] == "max_length"
    if language == "en":
        message = errors["comment"][0]["message"]
        assert "at most 1000 characters, and it has 1001" in message
    assert not ArticleFeedback.objects.exists()


def test_missing_verdict_without_javascript_asks_for_it(agent_client, tree):
    """A plain post without yes or no gets the survey again asking for it."""
    refund = tree["refund"]
    response = agent_client.post(
        survey_url(refund),
        {"revision": refund.published_revision_id},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Please choose yes or no." in response.content.decode()


def test_line_breaks_count_once_as_in_the_browser(agent_client, tree):
    """Browsers send a line break as CR LF but count it as one character against
    maxlength: a comment that fitted the box is accepted, stored with LF."""
    refund = tree["refund"]
    comment = "\r\n".join(["一行说明"] * 200)  # 999 as the browser counts, 1198 sent
    assert len(comment) > 1000
    response = answer(agent_client, refund, comment=comment)
    assert response.status_code == 302
    assert ArticleFeedback.objects.get().comment == comment.replace("\r\n", "\n")
