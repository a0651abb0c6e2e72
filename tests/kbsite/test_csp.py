"""Content-Security-Policy: every page sends it (portal and error pages too), and no
template needs what it forbids (inline scripts, event-handler attributes,
javascript: URLs)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response):
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_staff_pages_send_the_policy(agent_client, tree):
    """The home page, a section, search and its suggestions carry the policy."""
    for url in (
        reverse("home"),
        tree["refund"].get_absolute_url(),
        reverse("search:results") + "?q=退款",
        reverse("search:suggest") + "?q=退",
    ):
        response = agent_client.get(url)
        assert response.status_code == 200, url
        assert_strict(response)


@pytest.mark.django_db
def test_login_portal_and_error_pages_send_the_policy(client, tree):
    """Anonymous pages: the login page, the public portal, a 404 and a 405."""
    responses = [
        client.get(reverse("login")),
        client.get(reverse("portal:home")),
        client.get(
            reverse("portal:article_id", args=[tree["public_faq"].pk]), follow=True
        ),
        client.get("/help/a/999999/"),
        client.get(reverse("feedback:survey", args=[tree["public_faq"].pk])),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 405]
    for response in responses:
        assert_strict(response)


@pytest.mark.django_db
def test_server_error_page_sends_the_policy(agent_client, tree, monkeypatch):
    """A view that fails shows our plain 500 page, with the policy."""

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kbsite.views.page_navigation", broken)
    agent_client.raise_request_exception = False
    response = agent_client.get(reverse("home"))
    assert response.status_code == 500
    assert_strict(response)
    html = response.content.decode()
    assert "<script" not in html
    assert "Server Error (500)" not in html


# --- the templates keep to the policy ---------------------------------------------

TAG = re.compile(
    r"<(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
HANDLER = re.compile(r"""(?:^|[\s"'])on[a-z]+\s*=""", re.IGNORECASE)
JS_URL = re.compile(
    r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I
)
SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)
DATA_BLOCK = re.compile(r"""\btype\s*=\s*["']application/(?:ld\+)?json["']""", re.I)


def template_problems(text: str) -> list[str]:
    problems = []
    for tag in TAG.finditer(text):
        name, attrs = tag.group("name").lower(), tag.group("attrs")
        # Template tags inside an HTML tag ({% if %} ...) are not attributes.
        plain = re.sub(r"\{[%{#].*?[%}#]\}", " ", attrs)
        if name == "script" and not SRC.search(plain) and not DATA_BLOCK.search(plain):
            problems.append(f"inline <script>: {tag.group(0)[:80]}")
        if HANDLER.search(plain):
            problems.append(f"event-handler attribute: {tag.group(0)[:80]}")
        if JS_URL.search(attrs):
            problems.append(f"javascript: URL: {tag.group(0)[:80]}")
    return problems


def test_templates_have_no_inline_script():
    """No template under templates/ has an inline <script>, an on*= handler or a
    javascript: URL: the policy would block them (script-src 'self')."""
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 50
    found = {
        str(path.relative_to(TEMPLATES)): problems
        for path in files
        if (problems := template_problems(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        '<button onclick="go()">',
        "<body onload='x()'>",
        '<a class="x" href="javascript:void(0)">',
        '<div {% if a %}class="b"{% endif %} onmouseover="x">',
    ],
)
def test_the_scan_finds_what_the_policy_blocks(html):
    assert template_problems(html)


@pytest.mark.parametrize(
    "html",
    [
        "<script src=\"{% static 'manuals/js/kb.js' %}\" defer></script>",
        '<script id="data" type="application/json">{"a": 1}</script>',
        '<input data-one="{% translate \'1 result\' %}" aria-controls="x">',
        '<p class="online">on=</p>',
    ],
)
def test_the_scan_lets_through_what_the_policy_allows(html):
    assert not template_problems(html)
