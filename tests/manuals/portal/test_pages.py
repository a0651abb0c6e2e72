"""rewrite_links: section links and media of portal pages are rewritten on the parsed
HTML, so text that merely looks like an attribute is left alone."""

import pytest
from django.urls import reverse

from manuals.models import Visibility
from manuals.portal.links import Links, StaticLinks
from manuals.portal.pages import rewrite_links
from manuals.rendering import render_markdown
from manuals.transfer.export_static import export_portal
from tests.factories import make_section

# Text quoting attribute syntax, then a real link, an internal link and an image.
TRICKY = (
    '配置里写 src="/x 或者 href="/s/1/ 都只是文字。\n\n'
    "[常见问题](/s/{public}/#kb-h-rules) 和 [内部流程](/s/{internal}/) "
    '![示意图](/media/guide/step.png "步骤")'
)


def body_html(public=7, internal=8):
    return str(render_markdown(TRICKY.format(public=public, internal=internal)).html)


def test_text_that_looks_like_an_attribute_is_kept():
    """The literal `src="/x` in the text swallows nothing: the text stays as
    written, and the real link and image after it are rewritten."""
    seen = []

    def media(url):
        seen.append(url)
        return "../assets/media/guide/step.png"

    html = rewrite_links(
        body_html(),
        links=StaticLinks("a/3.html"),
        is_public={7}.__contains__,
        media=media,
    )
    assert '配置里写 src="/x 或者 href="/s/1/ 都只是文字。' in html
    assert '<a href="7.html#kb-h-rules" rel="noopener noreferrer">常见问题</a>' in html
    assert 'src="../assets/media/guide/step.png"' in html
    assert 'alt="示意图"' in html and 'title="步骤"' in html
    assert seen == ["/media/guide/step.png"]  # only the real src, never the text


def test_links_to_what_is_not_public_lose_their_target_not_their_text():
    """A link to an internal section keeps its words without a link; an image the
    export does not carry keeps its alt text without a source."""
    html = rewrite_links(
        body_html(),
        links=StaticLinks("a/3.html"),
        is_public={7}.__contains__,
        media=lambda url: None,
    )
    assert "内部流程" in html
    assert "/s/8/" not in html and 'href="8.html"' not in html
    assert "<img" in html and "src=" not in html.split("<img", 1)[1].split(">")[0]
    assert '配置里写 src="/x' in html


def test_live_portal_leaves_media_alone():
    """On the live portal (no media mapping) uploads keep their own URL."""
    html = rewrite_links(body_html(), links=Links(), is_public={7}.__contains__)
    assert 'src="/media/guide/step.png"' in html
    assert 'href="/help/a/7/#kb-h-rules"' in html


def test_the_output_is_sanitized_whatever_comes_in():
    """The rewrite parses with the sanitizer, so even unsanitized input comes out
    safe (no script, no handler, no javascript: URL)."""
    html = rewrite_links(
        '<p onclick="x()">hi<script>alert(1)</script>'
        '<a href="javascript:alert(1)">j</a><a href="/s/7/?a=1&amp;b=2">q</a></p>',
        links=Links(),
        is_public=lambda pk: True,
    )
    assert "onclick" not in html and "<script" not in html
    assert "javascript:" not in html
    assert 'href="/s/7/?a=1&amp;b=2"' in html  # not a plain section link: untouched


@pytest.mark.django_db
def test_portal_page_and_export_keep_the_text_and_the_links(
    portal, admin_user, client, tmp_path
):
    """A public article whose text quotes `src="/x`: the live portal page and the
    exported page both show the text as written and link the public section."""
    article = make_section(
        portal["shipping"],
        title="配置说明",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body=TRICKY.format(
            public=portal["public_faq"].pk, internal=portal["refund"].pk
        ),
    )
    html = client.get(
        reverse("portal:article_id", args=[article.pk]), follow=True
    ).content.decode()
    assert '配置里写 src="/x 或者 href="/s/1/ 都只是文字。' in html
    public = reverse("portal:article_id", args=[portal["public_faq"].pk])
    assert f'href="{public}' in html
    assert f"/s/{portal['refund'].pk}/" not in html

    export_portal(tmp_path / "site", live_url="")
    page = (tmp_path / f"site/a/{article.pk}.html").read_text()
    assert '配置里写 src="/x 或者 href="/s/1/ 都只是文字。' in page
    assert f'<a href="{portal["public_faq"].pk}.html#kb-h-rules"' in page
    assert f"/s/{portal['refund'].pk}/" not in page
    assert "内部流程" in page
