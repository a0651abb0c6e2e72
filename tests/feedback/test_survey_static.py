"""The exported static help centre posts its survey to the live site."""

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import ArticleFeedback
from manuals.models import Visibility
from tests.factories import make_section


@pytest.fixture
def article(admin_user):
    return make_section(
        title="公开文章", visibility=Visibility.PUBLIC, body="公开内容", user=admin_user
    )


def test_static_survey_needs_no_csrf_token_and_counts_as_anonymous(article, agent):
    """A post from the static site (no token, other origin) is accepted, is recorded
    as an anonymous public answer even with a staff session, and returns to the
    portal page it names."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    next_url = reverse("portal:article_id", args=[article.pk])
    response = client.post(
        reverse("feedback:survey_static", args=[article.pk]),
        {"helpful": "no", "revision": article.published_revision_id, "next": next_url},
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302
    assert response["Location"].startswith(next_url)
    answer = ArticleFeedback.objects.get(section=article)
    assert answer.user is None
    assert answer.helpful is False


def test_live_survey_still_requires_csrf(article, agent):
    """The live survey keeps its CSRF protection."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        reverse("feedback:survey", args=[article.pk]),
        {"helpful": "yes", "revision": article.published_revision_id},
    )
    assert response.status_code == 403


def test_survey_never_redirects_off_site(article, client):
    """A `next` pointing to another site is ignored."""
    response = client.post(
        reverse("feedback:survey", args=[article.pk]),
        {
            "helpful": "yes",
            "revision": article.published_revision_id,
            "next": "https://evil.example.com/",
        },
    )
    assert "evil.example.com" not in response["Location"]
