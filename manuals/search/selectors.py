"""Read logic of the results page: hits joined with the tree, facet and page links,
and what a search that found nothing offers instead."""

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .. import hooks
from ..models import Kind, Section
from ..permissions import can_read
from .backends.base import Hit, SearchResults

KIND_LABELS = {**dict(Kind.choices), "faq": _("FAQ")}


@dataclass
class ResultItem:
    hit: Hit
    section: Section | None
    path: list[Section]

    @property
    def title_html(self):
        return mark_safe(self.hit.title_html)  # noqa: S308 - escaped by the backend

    @property
    def snippet_html(self):
        return mark_safe(self.hit.snippet_html)  # noqa: S308 - escaped by the backend

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.hit.kind, self.hit.kind)

    rank: int = 0
    click_url: str = ""  # set when click tracking is configured

    @property
    def url(self) -> str:
        if self.click_url:
            return self.click_url
        return self.section.get_absolute_url() if self.section else self.hit.url


# What the click URL calls each kind of hit it can follow.
CLICK_TARGETS = {"section": "section", "faq": "faq"}


def _click_url(*, query, normalized, doc_type, object_id, rank) -> str:
    """Where a hit links when an analytics app tracks clicks (manuals.hooks), so
    the manual never imports the app that records the click."""
    name = hooks.search_click_url()
    if not name or doc_type not in CLICK_TARGETS:
        return ""
    params = {"q": query, "n": normalized, CLICK_TARGETS[doc_type]: object_id}
    return reverse(name) + "?" + urlencode({**params, "rank": rank})


def result_items(
    user, results: SearchResults, *, query: str = "", normalized: str = ""
) -> list[ResultItem]:
    """The page's hits with their section and breadcrumb path, in two queries.

    The index already filtered by permission; the database check here only guards
    against an index that has not caught up yet (a section made internal a moment
    ago), so a hit the reader may not open is dropped rather than shown.
    """
    ids = [h.object_id for h in results.hits if h.doc_type == "section"]
    sections = {
        s.pk: s
        for s in Section.objects.readable_by(user)
        .filter(pk__in=ids, published_revision__isnull=False)
        .only("id", "path", "depth", "title", "slug", "kind", "published_at")
    }
    steplen = Section.steplen
    prefixes = {
        s.path[:end]
        for s in sections.values()
        for end in range(steplen, len(s.path), steplen)
    }
    ancestors = {
        a.path: a
        for a in Section.objects.readable_by(user)
        .filter(path__in=prefixes)
        .only("id", "path", "title", "slug")
    }
    items = []
    for hit in results.hits:
        if hit.doc_type == "section":
            section = sections.get(hit.object_id)
            if section is None:
                continue
            path = [
                ancestors[section.path[:end]]
                for end in range(steplen, len(section.path), steplen)
                if section.path[:end] in ancestors
            ]
            items.append(ResultItem(hit=hit, section=section, path=path))
        else:
            items.append(ResultItem(hit=hit, section=None, path=[]))
    offset = (results.page - 1) * results.per_page
    for position, item in enumerate(items, start=1):
        item.rank = offset + position
        item.click_url = _click_url(
            query=query,
            normalized=normalized,
            doc_type=item.hit.doc_type,
            object_id=item.section.pk if item.section else item.hit.object_id,
            rank=item.rank,
        )
    return items


def _url(base: dict, **changes) -> str:
    params = {**base, **changes}  # `base` never carries the page: filters reset it
    return "?" + urlencode({k: v for k, v in params.items() if v}, doseq=True)


def _manual_titles(user, ids) -> dict[str, str]:
    return {
        str(pk): title
        for pk, title in Section.objects.readable_by(user)
        .filter(pk__in=[i for i in ids if str(i).isdigit()], depth=1)
        .values_list("pk", "title")
    }


def facet_links(user, results: SearchResults, base: dict) -> dict:
    """name -> [{label, count, url, active}] with links that toggle each value."""
    manuals = _manual_titles(user, [v for v, _n in results.facets.get("manual", [])])
    labels = {
        "kind": lambda v: KIND_LABELS.get(v),
        "manual": lambda v: manuals.get(v),
        "tag": lambda v: v,
    }
    out = {}
    for name, values in results.facets.items():
        links = []
        for value, count in values[:15]:
            label = labels[name](value)
            if not label:
                continue
            current = list(base.get(name, []))
            active = value in current
            new = [v for v in current if v != value] if active else [*current, value]
            links.append(
                {
                    "label": label,
                    "count": count,
                    "active": active,
                    "url": _url(base, **{name: new}),
                }
            )
        out[name] = links
    return out


def active_filters(user, base: dict) -> list[dict]:
    """The page's facet filters, each with a link that removes it."""
    manuals = _manual_titles(user, base.get("manual", []))
    labels = {
        "kind": lambda v: KIND_LABELS.get(v, v),
        "manual": lambda v: manuals.get(v, v),
        "tag": lambda v: v,
    }
    out = []
    for name in ("kind", "manual", "tag"):
        for value in base.get(name, []):
            rest = [v for v in base[name] if v != value]
            out.append(
                {"label": labels[name](value), "url": _url(base, **{name: rest})}
            )
    return out


def page_links(results: SearchResults, base: dict) -> dict:
    page, last = results.page, min(results.num_pages, 50)
    return {
        "number": page,
        "count": last,
        "previous": _url(base, page=page - 1) if page > 1 else "",
        "next": _url(base, page=page + 1) if page < last else "",
    }


# Containers are listed as places, not as articles to read.
CONTAINER_KINDS = (Kind.MANUAL, Kind.CHAPTER)


def popular_sections(user, *, limit: int = 5, days: int = 30) -> list[Section]:
    """The articles read most over `days` (the analytics hook, manuals.hooks) that
    `user` may read, recently published ones filling the gaps: for the page of a
    search that found nothing. Every one passes `can_read`, as the page it links to
    would ask."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    views = {
        pk: sum(cell[0] for cell in by_day.values())
        for pk, by_day in hooks.view_counts(since_day=since).items()
    }
    readable = (
        Section.objects.visible_to(user)
        .filter(published_revision__isnull=False)
        .exclude(kind__in=CONTAINER_KINDS)
    )
    ranked = sorted(views, key=lambda pk: -views[pk])[: limit * 4]
    by_pk = readable.in_bulk(ranked)
    candidates = [by_pk[pk] for pk in ranked if pk in by_pk]
    candidates += readable.exclude(pk__in=[s.pk for s in candidates]).order_by(
        "-published_at"
    )[: limit * 2]
    found: list[Section] = []
    for section in candidates:
        if len(found) >= limit:
            break
        if can_read(user, section):
            found.append(section)
    return found
