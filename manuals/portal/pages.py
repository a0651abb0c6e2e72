"""The context of each portal page, shared by the live views and the static export.

Functions here take a `Links` (live or static) and already-loaded sections, so the
export builds 5,000 pages from one tree in memory without a query per page.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    URL_SCHEMES,
    Rendered,
    plain_text,
)
from ..rendering import filter_attribute as sanitizer_filter
from .links import Links
from .models import PortalSettings
from .selectors import CONTAINER_KINDS, FaqCategory, has_public_faq, meta_description

# A link to a section of the staff site, as editors write them or the app renders.
SECTION_HREF = re.compile(r"^/s/(\d+)(?:/[^\"#?]*)?(#[^\"]*)?$")


@dataclass
class Crumb:
    title: str
    url: str


def base_context(
    links: Links,
    *,
    title: str = "",
    description: str = "",
    has_faq: bool | None = None,
) -> dict:
    portal = PortalSettings.load()
    return {
        "portal": portal,
        "logo_src": portal.logo_src,
        "has_faq": has_public_faq() if has_faq is None else has_faq,
        "links": links,
        "page_title": title,
        "meta_description": description,
        "live_url": getattr(settings, "KB_PORTAL_LIVE_URL", ""),
    }


def with_urls(links: Links, sections) -> list:
    """Give each section a `portal_url` for the templates (which cannot call)."""
    for section in sections:
        section.portal_url = links.section(section)
    return list(sections)


def rewrite_links(
    body_html: str,
    *,
    links: Links,
    is_public: Callable[[int], bool],
    media: Callable[[str], str | None] | None = None,
) -> SafeString:
    """Point section links at portal pages and drop links to what is not public.

    `media(url)` maps an uploaded file's URL to the export's copy (or None to drop
    it); the live portal passes None and leaves media URLs alone.

    The HTML is parsed again by the sanitizer, with the same allowlists, and links
    are rewritten in its attribute filter: only real href and src attributes are
    seen (never text that looks like one), and what comes out is sanitized HTML
    whatever came in. A dropped link keeps its text; a dropped image its alt text.
    """

    def rewrite(tag: str, attr: str, value: str) -> str | None:
        value = sanitizer_filter(tag, attr, value)
        if value is None or attr not in {"href", "src"}:
            return value
        m = SECTION_HREF.match(value) if attr == "href" else None
        if m:
            pk = int(m.group(1))
            if not is_public(pk):
                return None
            return links.section(_Ref(pk)) + (m.group(2) or "")
        if media is not None and value.startswith("/"):
            return media(value)
        return value

    cleaned = nh3.clean(
        body_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=rewrite,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - the sanitizer's own output


@dataclass
class _Ref:
    """Just enough of a section for `Links.section`: an id (slug is cosmetic)."""

    pk: int
    slug: str = ""


def home_context(
    links: Links, *, roots, children_of, popular, faq: list[FaqCategory]
) -> dict:
    portal = PortalSettings.load()
    categories = []
    for root in with_urls(links, roots):
        kids = with_urls(links, children_of(root))
        categories.append({"section": root, "children": kids[:6], "more": len(kids)})
    for category in faq:
        category.url = links.faq_category(category.key)
    context = base_context(
        links,
        title=portal.site_name,
        description=portal.tagline or portal.site_name,
    )
    context.update(
        categories=categories,
        popular=with_urls(links, popular),
        faq_categories=faq,
    )
    return context


def article_context(
    links: Links,
    *,
    section,
    rendered: Rendered,
    ancestors,
    children,
    previous=None,
    following=None,
    is_public: Callable[[int], bool],
    media: Callable[[str], str | None] | None = None,
) -> dict:
    text = plain_text(rendered.html)
    portal = PortalSettings.load()
    crumbs = [Crumb(portal.site_name, links.home())] + [
        Crumb(a.title, links.section(a)) for a in ancestors
    ]
    context = base_context(
        links,
        title=section.title,
        description=meta_description(text) or section.title,
    )
    context.update(
        section=section,
        body_html=rewrite_links(
            str(rendered.html), links=links, is_public=is_public, media=media
        ),
        toc=[t for t in rendered.toc if t["level"] <= 3],
        crumbs=crumbs,
        children=with_urls(links, children),
        previous=with_urls(links, [previous])[0] if previous else None,
        following=with_urls(links, [following])[0] if following else None,
        is_category=section.kind in CONTAINER_KINDS,
    )
    return context


def faq_index_context(links: Links, *, faq: list[FaqCategory]) -> dict:
    for category in faq:
        category.url = links.faq_category(category.key)
        category.label = category.name or _("Other questions")
    context = base_context(
        links,
        title=_("Frequently asked questions"),
        description=_("Answers to the questions customers ask most."),
    )
    context.update(
        faq_categories=faq,
        crumbs=[Crumb(PortalSettings.load().site_name, links.home())],
    )
    return context


def faq_category_context(links: Links, *, category: FaqCategory) -> dict:
    label = category.name or _("Other questions")
    first = category.entries[0] if category.entries else None
    description = (
        meta_description(getattr(first, "answer_text", "")) if first else label
    )
    context = base_context(links, title=label, description=description)
    context.update(
        category=category,
        category_label=label,
        crumbs=[
            Crumb(PortalSettings.load().site_name, links.home()),
            Crumb(_("Frequently asked questions"), links.faq()),
        ],
    )
    return context
