"""The one rendering pipeline: markdown -> HTML -> nh3 sanitizing -> cache.

Everything a reader sees of a section body goes through `render_markdown`, for one
audience at a time, so later steps (block directives) plug in here and nowhere else.
"""

import hashlib
import html
from dataclasses import dataclass, field

import markdown
import nh3
from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions.toc import slugify_unicode

from .permissions import audience_key

# Heading ids carry a prefix so text written by an editor can never clobber the ids
# of the page around it (DOM clobbering); the sanitizer drops any other id.
HEADING_ID_PREFIX = "h-"

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "danger", "important", "toc"},
    "p": {"admonition-title"},
    "code": {f"language-{lang}" for lang in ("python", "json", "bash", "text", "sql")},
    "span": {"kb-mark"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
MARKDOWN_EXTENSIONS = [
    "tables",
    "fenced_code",
    "toc",
    "attr_list",
    "admonition",
    "sane_lists",
]


def _slugify(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "id" and not value.startswith(HEADING_ID_PREFIX):
        return None
    if attr == "style":
        # Only table cell alignment (markdown's tables emit it) survives.
        value = value.replace(" ", "").lower()
        return (
            value
            if value in {"text-align:left;", "text-align:right;", "text-align:center;"}
            else None
        )
    return value


def sanitize(raw_html: str) -> str:
    """Clean HTML against our allowlist; scripts, handlers and javascript: URLs go."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def plain_text(raw_html: str) -> str:
    """Visible text of sanitized HTML, for search indexing and meta descriptions."""
    return html.unescape(
        nh3.clean(raw_html, tags=set(), clean_content_tags={"script", "style"})
    ).strip()


@dataclass
class Rendered:
    html: SafeString
    toc: list[dict] = field(default_factory=list)  # [{"level", "id", "name"}], flat

    @property
    def text(self) -> str:
        return plain_text(self.html)


def _flatten_toc(tokens, out=None):
    out = [] if out is None else out
    for token in tokens:
        out.append(
            {
                "level": token["level"],
                "id": token["id"],
                "name": html.unescape(token["name"]),
            }
        )
        _flatten_toc(token.get("children", []), out)
    return out


def render_markdown(text: str, audience: str = "public") -> Rendered:
    """Markdown source -> sanitized HTML and a table of contents, for one audience."""
    md = markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs={"toc": {"slugify": _slugify, "permalink": False}},
        output_format="html",
    )
    body_html = sanitize(md.convert(text or ""))
    toc = [
        t for t in _flatten_toc(md.toc_tokens) if t["id"].startswith(HEADING_ID_PREFIX)
    ]
    return Rendered(html=mark_safe(body_html), toc=toc)  # noqa: S308 - sanitized above


def _as_audience(user_or_audience) -> str:
    if isinstance(user_or_audience, str):
        return user_or_audience
    return audience_key(user_or_audience)


def render_revision(revision, user_or_audience) -> Rendered:
    """A revision's body for an audience, cached by revision id and audience."""
    audience = _as_audience(user_or_audience)
    digest = hashlib.sha1(audience.encode(), usedforsecurity=False).hexdigest()[:12]
    key = f"kb:render:v1:{revision.pk}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return Rendered(html=mark_safe(cached[0]), toc=cached[1])  # noqa: S308
    rendered = render_markdown(revision.body, audience)
    cache.set(key, (str(rendered.html), rendered.toc), settings.KB_RENDER_CACHE_SECONDS)
    return rendered


def render_section(section, user_or_audience) -> SafeString:
    """The published body of a section as sanitized HTML (empty if never published)."""
    if section.published_revision is None:
        return mark_safe("")
    return render_revision(section.published_revision, user_or_audience).html
