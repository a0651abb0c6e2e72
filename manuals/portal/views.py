"""The live portal at /help/: home, articles, FAQ, search, sitemap and robots.txt.

Every view is open to anonymous visitors (`login_not_required`) and shows what an
anonymous visitor may read, whoever is logged in: the portal is the public face, so
staff see it exactly as customers do.
"""

from django.contrib.auth.decorators import login_not_required
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ..search import services as search_services
from ..signals import search_performed, section_viewed
from . import pages, selectors
from .links import Links
from .sitemaps import SITEMAPS

MAX_PAGE = 50


def _is_public(pk: int) -> bool:
    return selectors.public_section(pk) is not None


@login_not_required
@require_GET
def home(request):
    tree = selectors.PublicTree.build(max_depth=2)
    context = pages.home_context(
        Links(),
        roots=tree.roots,
        children_of=tree.children_of,
        popular=selectors.popular_sections(),
        faq=selectors.public_faq(render=False),
    )
    return render(request, "portal/home.html", context)


@login_not_required
@require_GET
def article(request, pk, slug=None):
    found = selectors.public_section(pk)
    if found is None:
        raise Http404(_("There is no such article."))
    section, ancestors = found
    links = Links()
    if section.slug and slug != section.slug:
        return HttpResponsePermanentRedirect(links.section(section))
    previous, following = selectors.neighbours(section)
    context = pages.article_context(
        links,
        section=section,
        rendered=selectors.rendered_body(section),
        ancestors=ancestors,
        children=selectors.public_children(section),
        previous=previous,
        following=following,
        is_public=_is_public,
    )
    # Anonymous visitors count as public readers in the analytics, whoever they are.
    section_viewed.send(
        sender=type(section),
        section=section,
        revision=section.published_revision,
        request=request,
    )
    return render(request, "portal/article.html", context)


@login_not_required
@require_GET
def faq(request):
    categories = selectors.public_faq(render=False)
    if not categories:
        raise Http404(_("There are no public questions yet."))
    return render(
        request, "portal/faq.html", pages.faq_index_context(Links(), faq=categories)
    )


@login_not_required
@require_GET
def faq_category(request, key):
    category = selectors.public_faq_category(key)
    if category is None:
        raise Http404(_("There is no such category."))
    return render(
        request,
        "portal/faq_category.html",
        pages.faq_category_context(Links(), category=category),
    )


def _page_number(value) -> int:
    try:
        return min(MAX_PAGE, max(1, int(value)))
    except (TypeError, ValueError):
        return 1


@login_not_required
@require_GET
def search(request):
    """Public search: the index's public text only, with highlighted matches."""
    raw = request.GET.get("q", "")[:200]
    parsed = search_services.parse(raw)
    page = _page_number(request.GET.get("page"))
    links = Links()
    items, results = [], None
    if not parsed.is_empty:
        results = search_services.search_sections(
            user=selectors.anonymous(), parsed=parsed, page=page
        )
        items = _result_items(links, results)
        search_performed.send(
            sender=None,
            query=raw,
            normalized=parsed.normalized,
            results_count=results.total,
            user=selectors.anonymous(),
            audience=selectors.PUBLIC,
            request=request,
        )
    context = pages.base_context(
        links,
        title=_("Search: %(q)s") % {"q": raw} if raw else _("Search"),
        description="",
    )
    context.update(
        q=raw,
        results=results,
        items=items,
        num_pages=min(results.num_pages, MAX_PAGE) if results else 0,
        noindex=True,
        suggestion=results.suggestion if results else "",
    )
    return render(request, "portal/search.html", context)


def _result_items(links: Links, results) -> list[dict]:
    """Hits an anonymous visitor may open, each with its portal URL and path."""
    faq_ids = None
    items = []
    for hit in results.hits:
        if hit.doc_type == "section":
            found = selectors.public_section(hit.object_id)
            if found is None:
                continue  # the index has not caught up with a change yet
            section, ancestors = found
            url = links.section(section)
            path = [a.title for a in ancestors]
        elif hit.doc_type == "faq":
            if faq_ids is None:
                faq_ids = selectors.public_faq_entry_ids()
            if hit.object_id not in faq_ids:
                continue
            url = links.faq_category(faq_ids[hit.object_id]) + f"#q{hit.object_id}"
            path = [_("Frequently asked questions")]
        else:
            continue
        items.append(
            {
                "url": url,
                # Escaped by the search backend, matches wrapped in <mark>.
                "title_html": mark_safe(hit.title_html),  # noqa: S308
                "snippet_html": mark_safe(hit.snippet_html),  # noqa: S308
                "path": path,
            }
        )
    return items


@login_not_required
@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    sitemap_url = request.build_absolute_uri(reverse("portal:sitemap"))
    help_url = reverse("portal:home")
    lines = [
        "User-agent: *",
        f"Allow: {help_url}",
        "Disallow: /",
        f"Sitemap: {sitemap_url}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@login_not_required
@require_GET
def sitemap(request):
    return sitemap_view(request, sitemaps=SITEMAPS)
