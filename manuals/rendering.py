"""The one rendering pipeline: block directives -> markdown -> nh3 sanitizing -> cache.

Everything a reader sees of a section body, a block or an FAQ answer goes through
`render_markdown`, for one audience at a time: blocks the audience may not see are
left out before markdown ever runs, so their text cannot reach its HTML, snippets,
search index or export.

Audiences are strings: "public", "internal:<group ids>" (staff, and the restricted
groups they belong to) and "all" (superusers); `permissions.audience_key` names a
user's.
"""

import hashlib
import html
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
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
    "div": {
        "admonition",
        "note",
        "tip",
        "warning",
        "danger",
        "important",
        "toc",
        "kb-block",
        "kb-block-missing",
    },
    "p": {"admonition-title", "kb-block-label"},
    "code": {f"language-{lang}" for lang in ("python", "json", "bash", "text", "sql")},
    "span": {"kb-mark"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
MARKDOWN_EXTENSIONS = [
    "md_in_html",
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


# {{block:KEY}} follows the latest published revision; {{block:KEY@N}} is pinned.
# Spaces are allowed inside the braces, line breaks are not (directives are parsed
# line by line for validation and where-used).
DIRECTIVE = re.compile(r"\{\{[ \t]*block:([A-Za-z0-9_-]+)(?:@(\d+))?[ \t]*\}\}")
MAX_BLOCK_DEPTH = 5


def audience_sees(audience: str, visibility: str, group_ids) -> bool:
    """May `audience` see something of `visibility` restricted to `group_ids`?"""
    if audience == "all" or visibility == "public":
        return True
    if not audience.startswith("internal:"):
        return False
    if visibility == "internal":
        return True
    mine = {int(g) for g in audience.split(":", 1)[1].split(",") if g}
    return bool(mine & set(group_ids))


class _BlockResolver:
    """Every block a text reaches, fetched one nesting level per query batch, so a page
    embedding twenty blocks costs what a page embedding two does."""

    def __init__(self, overrides=None):
        self.blocks: dict = {}  # key -> Block, or None when no such block
        self.pinned: dict = {}  # (key, number) -> BlockRevision
        # block pk -> revision to use instead of the published one (impact preview)
        self.overrides = overrides or {}

    def revision_of(self, block):
        return self.overrides.get(block.pk, block.published_revision)

    def load(self, text: str) -> None:
        from .models import Block, BlockRevision

        pending = [text]
        for _level in range(MAX_BLOCK_DEPTH + 1):
            found = [
                (m.group(1), int(m.group(2)) if m.group(2) else None)
                for t in pending
                for m in DIRECTIVE.finditer(t)
            ]
            keys = {k for k, _n in found} - self.blocks.keys()
            pins = {(k, n) for k, n in found if n is not None} - self.pinned.keys()
            if not keys and not pins:
                return
            pending = []
            if keys:
                fetched = {
                    b.key: b
                    for b in Block.objects.filter(key__in=keys)
                    .select_related("published_revision")
                    .prefetch_related("groups")
                }
                for key in keys:
                    block = self.blocks[key] = fetched.get(key)
                    if block is not None and self.revision_of(block) is not None:
                        pending.append(self.revision_of(block).body)
            if pins:
                rows = BlockRevision.objects.filter(
                    block__key__in={k for k, _n in pins},
                    number__in={n for _k, n in pins},
                ).select_related("block")
                for rev in rows:
                    if (rev.block.key, rev.number) in pins:
                        self.pinned[(rev.block.key, rev.number)] = rev
                        pending.append(rev.body)


def _expand(text, audience, editor, depth, stack, deps, resolver):
    """Replace block directives with the text of blocks `audience` may see."""

    def placeholder(message):
        if not editor:
            return ""
        return f'<div class="kb-block-missing">{html.escape(message)}</div>'

    def replace(match):
        key, number = match.group(1), match.group(2)
        where = {"directive": match.group(0)}
        block = resolver.blocks.get(key)
        if block is None:
            return placeholder(_("%(directive)s: there is no such block") % where)
        deps[block.pk] = block.published_revision_id
        groups = [g.pk for g in block.groups.all()]
        if not audience_sees(audience, block.visibility, groups):
            return ""
        if number:
            revision = resolver.pinned.get((key, int(number)))
        else:
            revision = resolver.revision_of(block)
        if revision is None:
            return placeholder(_("%(directive)s: there is no such revision") % where)
        if key in stack or depth >= MAX_BLOCK_DEPTH:
            return placeholder(_("%(directive)s: blocks nested too deep") % where)
        inner = _expand(
            revision.body, audience, editor, depth + 1, stack | {key}, deps, resolver
        )
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = text.find("\n", match.end())
        line = text[line_start : line_end if line_end != -1 else len(text)]
        if line.strip() != match.group(0):
            return " ".join(inner.split())  # inside a sentence: inline text
        label = ""
        if editor:
            url = reverse("manuals:block", kwargs={"key": key})
            label = (
                f'<p class="kb-block-label"><a href="{url}">'
                f"{html.escape(block.title)}</a></p>\n\n"
            )
        return f'\n<div class="kb-block" markdown="1">\n\n{label}{inner}\n\n</div>\n'

    return DIRECTIVE.sub(replace, text)


def render_markdown(
    text: str,
    audience: str = "public",
    *,
    editor: bool = False,
    deps: dict | None = None,
    overrides: dict | None = None,
) -> Rendered:
    """Markdown source -> sanitized HTML and a table of contents, for one audience.

    `editor` adds visible placeholders for directives that point nowhere and a link
    on each embedded block; readers never see either. `deps` collects the published
    revision of every block looked at, for cache validation.
    """
    deps = {} if deps is None else deps
    resolver = _BlockResolver(overrides)
    resolver.load(text or "")
    source = _expand(text or "", audience, editor, 0, frozenset(), deps, resolver)
    md = markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS,
        extension_configs={"toc": {"slugify": _slugify, "permalink": False}},
        output_format="html",
    )
    body_html = sanitize(md.convert(source))
    toc = [
        t for t in _flatten_toc(md.toc_tokens) if t["id"].startswith(HEADING_ID_PREFIX)
    ]
    return Rendered(html=mark_safe(body_html), toc=toc)  # noqa: S308 - sanitized above


def _as_audience(user_or_audience) -> str:
    if isinstance(user_or_audience, str):
        return user_or_audience
    return audience_key(user_or_audience)


def _blocks_unchanged(deps: dict) -> bool:
    from .models import Block

    if not deps:
        return True
    current = dict(
        Block.objects.filter(pk__in=deps).values_list("pk", "published_revision_id")
    )
    return current == {int(k): v for k, v in deps.items()}


def render_cached(
    name: str, text: str, user_or_audience, *, editor: bool = False, stamp=None
) -> Rendered:
    """`text` rendered for an audience, cached under `name` (which must change when
    the text does, e.g. "Revision:12") and the audience.

    The cache entry remembers which published block revisions went into it and is
    used only while they are still the published ones (one query, and none at all
    for text without blocks), so publishing a block shows at once in every process.
    Given the change stamp (manuals.navigation.change_stamp; publishing a block
    writes an audit entry), an entry checked under the same stamp needs no query.
    """
    audience = _as_audience(user_or_audience)
    digest = hashlib.sha1(
        f"{audience}|{editor}".encode(), usedforsecurity=False
    ).hexdigest()[:12]
    key = f"kb:render:v3:{name}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        html, toc, deps, checked_at = cached
        if stamp is not None and checked_at == stamp:
            return Rendered(html=mark_safe(html), toc=toc)  # noqa: S308
        if _blocks_unchanged(deps):
            if stamp is not None and deps:
                cache.set(
                    key, (html, toc, deps, stamp), settings.KB_RENDER_CACHE_SECONDS
                )
            return Rendered(html=mark_safe(html), toc=toc)  # noqa: S308
    deps: dict = {}
    rendered = render_markdown(text, audience, editor=editor, deps=deps)
    cache.set(
        key,
        (str(rendered.html), rendered.toc, deps, stamp),
        settings.KB_RENDER_CACHE_SECONDS,
    )
    return rendered


def render_revision(
    revision, user_or_audience, *, editor: bool = False, stamp=None
) -> Rendered:
    """A revision's body for an audience (revisions never change: cached by id)."""
    return render_cached(
        f"{type(revision).__name__}:{revision.pk}",
        revision.body,
        user_or_audience,
        editor=editor,
        stamp=stamp,
    )


def render_section(section, user_or_audience) -> SafeString:
    """The published body of a section as sanitized HTML (empty if never published)."""
    if section.published_revision is None:
        return mark_safe("")
    return render_revision(section.published_revision, user_or_audience).html
