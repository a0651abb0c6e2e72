"""The sidebar, children list and previous/next are cached, yet never stale."""

from manuals import services
from manuals.models import Section
from tests.factories import make_section


def _page(client, section):
    return client.get(
        Section.objects.get(pk=section.pk).get_absolute_url(), follow=True
    ).content.decode()


def test_navigation_follows_every_change(tree, admin_user, publisher, agent_client):
    """A new section, a rename, a move and a deletion show at once in the cached
    sidebar and children of a page read just before."""
    chapter = tree["a"]
    assert "新加的章节" not in _page(agent_client, chapter)  # now cached
    new = make_section(chapter, title="新加的章节", user=admin_user)
    assert "新加的章节" in _page(agent_client, chapter)

    head = Section.objects.get(pk=new.pk).head_revision
    result = services.save_revision(
        new, user=publisher, title="改名后的章节", body=head.body, base=head
    )
    services.publish_revision(new, result.revision, user=publisher)
    html = _page(agent_client, chapter)
    assert "改名后的章节" in html and "新加的章节" not in html

    services.move_section(new, tree["b"], "last-child", user=publisher)
    assert "改名后的章节" not in _page(agent_client, chapter)
    assert "改名后的章节" in _page(agent_client, tree["b"])

    services.delete_section(new, user=publisher)
    assert "改名后的章节" not in _page(agent_client, tree["b"])


def test_navigation_is_per_audience(tree, client, agent_client):
    """What an agent's page cached never reaches a reader with less access."""
    from tests.factories import make_user

    agent_html = _page(agent_client, tree["help"])
    assert "客服手册" in agent_html  # the internal manual, in the agent's sidebar
    nobody = make_user(username="no-role")
    client.force_login(nobody)
    html = _page(client, tree["help"])
    assert "客服手册" not in html
    assert "帮助中心" in html
