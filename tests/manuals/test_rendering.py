"""Rendering: markdown features readers rely on, and hostile input that must not pass."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from manuals.rendering import (
    render_markdown,
    render_revision,
    render_section,
    sanitize,
)
from manuals.sections import services
from tests.factories import make_section


def html_of(text):
    return str(render_markdown(text).html)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html):
    """(tag, attrs) of every live element; escaped text is not markup."""
    parser = _Elements()
    parser.feed(str(html))
    return parser.elements


DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "object",
    "embed",
    "form",
    "input",
    "meta",
    "base",
    "link",
    "frame",
}
URL_ATTRS = {"href", "src", "srcset", "action", "formaction", "xlink:href"}


def assert_no_live_danger(html):
    """No dangerous element, no event handler, no script/data URL, no foreign id."""
    for tag, attrs in elements(html):
        assert tag not in DANGEROUS_TAGS, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style" or tag in {"td", "th"}, (tag, name)
            if name in URL_ATTRS:
                scheme = (value or "").strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (
                    tag,
                    name,
                    value,
                )
            if name == "id":
                assert value.startswith("h-"), (tag, value)


# --- what renders --------------------------------------------------------------


def test_tables_render_with_alignment():
    """Markdown tables become HTML tables; column alignment survives."""
    html = html_of("| A | B |\n|:--|--:|\n| 1 | 2 |")
    assert "<table>" in html
    assert "<th" in html and ">A</th>" in html
    assert "<td" in html and ">2</td>" in html
    assert "text-align:right" in html.replace(" ", "")


def test_fenced_code_keeps_language_class_and_escapes():
    """Fenced code renders as pre/code with its language and escaped contents."""
    html = html_of("```python\nif a < b:\n    print('<b>')\n```")
    assert '<pre><code class="language-python">' in html
    assert "&lt;b&gt;" in html
    assert "<b>" not in html


def test_headings_get_prefixed_ids_and_toc():
    """Heading ids carry the 'h-' prefix, survive sanitizing and feed the toc."""
    rendered = render_markdown("# One\n\n## Two words\n\n### Three")
    html = str(rendered.html)
    assert 'id="h-one"' in html
    assert 'id="h-two-words"' in html
    assert [(t["level"], t["id"], t["name"]) for t in rendered.toc] == [
        (1, "h-one", "One"),
        (2, "h-two-words", "Two words"),
        (3, "h-three", "Three"),
    ]


def test_chinese_headings_get_working_anchors():
    """Chinese headings get non-empty, unique ids that the toc links to."""
    rendered = render_markdown("## 退款规则\n\n## 退货流程\n\n## 退款规则")
    html = str(rendered.html)
    ids = re.findall(r'<h2 id="([^"]+)"', html)
    assert ids[0] == "h-退款规则"
    assert ids[1] == "h-退货流程"
    assert len(set(ids)) == 3
    assert [t["id"] for t in rendered.toc] == ids


def test_attr_list_and_admonitions():
    """attr_list adds prefixed ids; admonitions render as styled boxes."""
    html = html_of('!!! warning "小心"\n    不要退款。\n\n## Custom {#h-custom}')
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">小心</p>' in html
    assert 'id="h-custom"' in html


def test_unknown_admonition_class_dropped():
    """An admonition type outside the allowlist keeps the box, drops the class."""
    html = html_of("!!! evilclass\n    text")
    assert "evilclass" not in html
    assert "admonition" in html


def test_links_and_images_keep_safe_urls():
    """http(s) and mailto links and images stay, with rel=noopener on links."""
    html = html_of("[a](https://example.com) [m](mailto:a@b.c) ![i](https://x/i.png)")
    assert 'href="https://example.com"' in html
    assert 'href="mailto:a@b.c"' in html
    assert 'src="https://x/i.png"' in html
    assert "noopener" in html


# --- what must not render ---------------------------------------------------------


HOSTILE = [
    ("<script>alert('S1')</script>", ["<script", "alert('S1')"]),
    ("<img src=x onerror=alert('S2')>", ["onerror", "alert('S2')"]),
    ('<a href="#" onclick="alert(\'S3\')">x</a>', ["onclick", "alert('S3')"]),
    ("[x](javascript:alert('S4'))", ["javascript:"]),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript:"]),
    ('<a href="  javascript:alert(1)">x</a>', ["javascript:"]),
    ("![x](data:image/svg+xml;base64,PHN2Zz4=)", ["data:"]),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', ["data:", "<script"]),
    ('<iframe src="https://evil.example"></iframe>', ["<iframe", "evil.example"]),
    ("<style>body{display:none}</style>", ["<style", "display:none"]),
    ("<svg onload=alert('S5')><circle/></svg>", ["<svg", "onload", "alert('S5')"]),
    ('<p id="main">clobber</p>', ['id="main"']),
    ("## Heading {#main}", ['id="main"']),
    ('<div class="kb-header">x</div>', ["kb-header"]),
    ('<td style="background:url(javascript:alert(1))">x</td>', ["javascript", "url("]),
    ('<form action="https://evil"><input name="password"></form>', ["<form", "<input"]),
    ('<object data="x.swf"></object><embed src="x.swf">', ["<object", "<embed"]),
    ('<meta http-equiv="refresh" content="0;url=https://evil">', ["<meta"]),
    ('<base href="https://evil/">', ["<base"]),
    (
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        ["javascript:", "<math"],
    ),
    ('<p style="position:fixed;top:0">overlay</p>', ["position", "style="]),
    ("[x](vbscript:msgbox(1))", ["vbscript"]),
    ('<img src="x" srcset="javascript:alert(1)">', ["srcset", "javascript"]),
]


@pytest.mark.parametrize("source,forbidden", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_markdown_is_sanitized(source, forbidden):
    """Scripts, handlers, dangerous URLs, frames, styles and foreign ids never pass
    as live markup (markdown may keep harmless escaped text of them)."""
    html = html_of(source)
    assert_no_live_danger(html)
    live = " ".join(
        f"<{tag} " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + ">"
        for tag, attrs in elements(html)
    ).lower()
    for bad in forbidden:
        assert bad.lower().lstrip("<") not in live


def test_hostile_inside_markdown_constructs():
    """Raw HTML hidden inside tables, lists and admonitions is also cleaned."""
    source = (
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |\n\n"
        "- <script>alert(2)</script>\n\n"
        "!!! note\n    <iframe src=x></iframe>\n"
    )
    html = html_of(source)
    assert_no_live_danger(html)
    assert [t for t, _ in elements(html) if t in {"img", "script", "iframe"}] == ["img"]


def test_sanitize_strips_event_handlers_from_quoted_html():
    """Well-formed HTML with handlers keeps the element and loses the handler."""
    html = sanitize(
        '<img src="https://x/i.png" onerror="alert(1)">'
        '<a href="https://x" onclick="alert(2)">x</a>'
    )
    assert elements(html) == [
        ("img", {"src": "https://x/i.png"}),
        ("a", {"href": "https://x", "rel": "noopener noreferrer"}),
    ]


def test_sanitize_keeps_only_prefixed_ids():
    """The sanitizer drops any id that lacks the heading prefix."""
    assert 'id="h-ok"' in sanitize('<h2 id="h-ok">x</h2>')
    assert "id=" not in sanitize('<h2 id="content">x</h2>')


def test_toc_ignores_unprefixed_heading_ids():
    """A heading given a custom id (dropped by the sanitizer) is not in the toc."""
    rendered = render_markdown("## A\n\n## B {#custom}")
    assert [t["id"] for t in rendered.toc] == ["h-a"]


def test_code_blocks_are_not_executed_markup():
    """HTML inside inline code and code blocks is shown as text."""
    html = html_of("`<script>alert(1)</script>`\n\n    <img onerror=x>")
    assert "&lt;script&gt;" in html
    assert "&lt;img onerror=x&gt;" in html
    assert "<script" not in html


# --- on the page ------------------------------------------------------------------


def test_section_page_shows_toc_with_three_headings(admin_user, agent_client):
    """A page with three or more headings gets an 'On this page' list of anchors."""
    section = make_section(
        title="Long", body="## 一\n\nx\n\n## 二\n\ny\n\n## 三\n\nz", user=admin_user
    )
    html = agent_client.get(section.get_absolute_url()).content.decode()
    assert 'class="kb-toc"' in html
    for anchor in ("h-一", "h-二", "h-三"):
        assert f'href="#{anchor}"' in html
        assert f'id="{anchor}"' in html


def test_section_page_without_toc_for_two_headings(admin_user, agent_client):
    """A short page with two headings has no table of contents."""
    section = make_section(title="Short", body="## a\n\n## b", user=admin_user)
    html = agent_client.get(section.get_absolute_url()).content.decode()
    assert 'class="kb-toc"' not in html


def test_section_page_body_is_sanitized(admin_user, agent_client):
    """A hostile body is cleaned on the reader's page."""
    section = make_section(
        title="Hostile",
        body="<script>alert('BODY')</script>\n\n<img src=x onerror=alert('IMG')>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        '<div id="main" onclick="alert(2)">clobber</div>\n\n'
        "[go](javascript:alert('LINK'))",
        user=admin_user,
    )
    response = agent_client.get(section.get_absolute_url())
    body = str(response.context["rendered"].html)
    assert_no_live_danger(body)
    assert "<script" not in body
    assert "<script>alert('BODY')" not in response.content.decode()


def test_revision_page_is_sanitized(admin_user, editor_client):
    """An old revision's page is sanitized too."""
    section = make_section(title="R", body="<svg onload=alert('REV')>", user=admin_user)
    url = reverse("manuals:revision", args=[section.pk, 1])
    response = editor_client.get(url)
    assert_no_live_danger(response.context["rendered"].html)
    page = response.content.decode()
    # The header's bell icon is an svg of ours; the body's is shown as text.
    assert "<svg onload" not in page and "&lt;svg onload=alert('REV')&gt;" in page


def test_render_revision_is_cached_per_revision(admin_user, publisher):
    """A new revision renders fresh text; a cached one is served unchanged."""
    section = make_section(title="C", body="old text", user=admin_user)
    first = render_revision(section.published_revision, "public")
    again = render_revision(section.published_revision, "public")
    assert str(first.html) == str(again.html) == "<p>old text</p>"
    revision = services.section_save(
        section=section,
        user=publisher,
        title="C",
        body="new text",
        base=section.head_revision,
    ).revision
    services.revision_publish(section=section, revision=revision, user=publisher)
    section.refresh_from_db()
    assert str(render_section(section, "public")) == "<p>new text</p>"


def test_render_section_unpublished_is_empty(admin_user):
    """A never-published section renders nothing for readers."""
    section = make_section(
        title="D", body="secret draft", user=admin_user, publish=False
    )
    assert str(render_section(section, "public")) == ""
