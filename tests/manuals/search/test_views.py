"""The results page, suggestions endpoint, help page, header box and signal."""

import pytest
from django.urls import reverse

from manuals.signals import search_performed

from .corpus import build_corpus


@pytest.fixture
def corpus(admin_user, index_now):
    sections = build_corpus(admin_user)
    index_now()
    return sections


def _result_link(section, *, rank):
    """Hits link through the click counter, which names the section and its rank."""
    return f"section={section.pk}&amp;rank={rank}"


def test_result_link_counts_the_click_and_opens_the_section(agent_client, corpus):
    """Following a hit records the click and lands on the section itself."""
    response = agent_client.get(reverse("search:results"), {"q": "退貨流程"})
    item = response.context["items"][0]
    assert item.section == corpus["returns"]
    landing = agent_client.get(item.url)
    assert landing.status_code == 302
    assert landing["Location"] == corpus["returns"].get_absolute_url()


def test_results_page_shows_title_path_kind_date_and_snippet(agent_client, corpus):
    """A hit shows its highlighted title, breadcrumb path, kind, date and snippet."""
    response = agent_client.get(reverse("search:results"), {"q": "退貨流程"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<mark class="kb-hit">' in html
    assert _result_link(corpus["returns"], rank=1) in html
    assert "客服手册" in html  # breadcrumb path
    assert 'class="kb-result-snippet"' in html
    assert "<time datetime=" in html
    assert 'data-facet="kind"' in html


def test_facet_link_filters(agent_client, corpus):
    """Following a kind facet link keeps the query and narrows the results."""
    response = agent_client.get(reverse("search:results"), {"q": "退货", "kind": "sop"})
    html = response.content.decode()
    assert f"section={corpus['returns'].pk}&amp;" in html
    assert f"section={corpus['phrase'].pk}&amp;" not in html
    assert "kind=sop" in html  # the active filter can be removed


def test_did_you_mean_link(agent_client, corpus):
    response = agent_client.get(reverse("search:results"), {"q": "refnud"})
    assert "?q=refund" in response.content.decode()


def test_search_sends_search_performed(agent_client, agent, corpus):
    """The view tells listeners (feedback analytics) what was searched."""
    calls = []

    def listener(**kwargs):
        calls.append(kwargs)

    search_performed.connect(listener)
    try:
        agent_client.get(reverse("search:results"), {"q": "退貨  流程"})
    finally:
        search_performed.disconnect(listener)
    assert len(calls) == 1
    call = calls[0]
    assert call["query"] == "退貨  流程"
    assert call["normalized"] == "退货 流程"
    assert call["results_count"] >= 1
    assert call["user"] == agent and call["audience"].startswith("internal:")
    assert call["request"] is not None


def test_empty_query_shows_the_form_only(agent_client):
    response = agent_client.get(reverse("search:results"))
    assert response.status_code == 200
    assert 'class="kb-results"' not in response.content.decode()


def test_suggest_json(agent_client, corpus):
    """The suggest endpoint returns matching titles with their URLs."""
    response = agent_client.get(reverse("search:suggest"), {"q": "客户"})
    data = response.json()
    assert {
        "title": "客户服务升级流程",
        "url": corpus["service"].get_absolute_url(),
    } in data["results"]


def test_help_page_documents_syntax(agent_client):
    html = agent_client.get(reverse("search:help")).content.decode()
    for example in ('"退货流程"', "-信用卡", "kind:policy", "tag:退款", "in:客服手册"):
        assert example in html


def test_header_search_box_on_every_page(agent_client, corpus):
    html = agent_client.get(corpus["returns"].get_absolute_url()).content.decode()
    assert 'data-kb-suggest-url="/search/suggest/"' in html
    assert "search.js" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("search:results"), {"q": "退货"})
    assert response.status_code == 302
