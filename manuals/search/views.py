"""Search pages: results with facets and paging, title suggestions (JSON), help and
the keyboard shortcuts."""

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from ..models import Kind, Section
from ..signals import search_performed
from . import selectors, services

MAX_PAGE = 50


def _page_number(value) -> int:
    try:
        return min(MAX_PAGE, max(1, int(value)))
    except (TypeError, ValueError):
        return 1


def search(request):
    raw = request.GET.get("q", "")
    parsed = services.parse(raw)
    kinds = [k for k in request.GET.getlist("kind") if k in services.kinds()][:5]
    manuals = [m for m in request.GET.getlist("manual") if m.isdigit()][:5]
    tags = [t[:50] for t in request.GET.getlist("tag") if t.strip()][:5]
    page = _page_number(request.GET.get("page"))
    results = None
    if not parsed.is_empty or kinds or manuals or tags:
        results = services.search_sections(
            user=request.user,
            parsed=parsed,
            kind_filters=kinds,
            manuals=manuals,
            tags=tags,
            page=page,
        )
        search_performed.send(
            sender=None,
            query=raw,
            normalized=parsed.normalized,
            results_count=results.total,
            user=request.user,
            audience=services.audience_for(request.user).key,
            request=request,
        )
    base = {"q": raw, "kind": kinds, "manual": manuals, "tag": tags}
    facets = selectors.facet_links(request.user, results, base) if results else {}
    context = {
        "q": raw,
        "parsed": parsed,
        "results": results,
        "items": (
            selectors.result_items(
                request.user, results, query=raw, normalized=parsed.normalized
            )
            if results
            else []
        ),
        "facets": facets,
        "facets_shown": any(facets.values()),
        # A search that found nothing offers what people read most instead.
        "popular": (
            selectors.popular_sections(request.user)
            if results is not None and results.total == 0
            else []
        ),
        "active_filters": selectors.active_filters(request.user, base),
        "pages": selectors.page_links(results, base) if results else {},
        "suggestion_url": (
            reverse("search:results") + "?" + urlencode({"q": results.suggestion})
            if results and results.suggestion
            else ""
        ),
        "kinds": Kind.choices,
    }
    return render(request, "manuals/search/results.html", context)


def suggest(request):
    text = request.GET.get("q", "")[:100]
    items = services.suggest_titles(user=request.user, text=text) if text else []
    sections = Section.objects.readable_by(request.user).filter(
        pk__in=[s.object_id for s in items if s.doc_type == "section"]
    )
    allowed = set(sections.values_list("pk", flat=True))
    return JsonResponse(
        {
            "results": [
                {"title": s.title, "url": s.url}
                for s in items
                if s.doc_type != "section" or s.object_id in allowed
            ]
        }
    )


def search_help(request):
    return render(request, "manuals/search/help.html", {"kinds": Kind.choices})


def keyboard_help(request):
    return render(request, "manuals/search/keys.html")
