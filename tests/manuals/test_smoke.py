"""The section page renders for an agent."""

from django.urls import reverse


def test_agent_reads_section(agent_client, tree):
    """An agent sees the section's title, body, breadcrumbs and sidebar."""
    response = agent_client.get(tree["refund"].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "退款政策" in html
    assert "INTERNAL-CANARY" in html
    assert "第一章 政策" in html


def test_home(agent_client, tree):
    response = agent_client.get(reverse("home"))
    assert response.status_code == 200
    assert "客服手册" in response.content.decode()
