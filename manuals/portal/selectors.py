"""Read logic of the portal: what anonymous visitors may see, and nothing else.

A section is on the portal when it and every ancestor are public, published and out
of the trash (what `permissions.can_read` answers for an anonymous user). Bodies are
always rendered for the "public" audience, so internal blocks embedded in public
sections never reach a portal page, the export or its search index.
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from .. import hooks
from ..audience import ANONYMOUS
from ..models import Kind, Section
from ..permissions import can_read
from ..rendering import Rendered, plain_text, render_markdown, render_revision

PUBLIC = ANONYMOUS.key  # the one audience everything here is rendered for
# Containers, listed as categories rather than as articles.
CONTAINER_KINDS = frozenset({Kind.MANUAL, Kind.CHAPTER})
SECTION_FIELDS = (
    "id",
    "path",
    "depth",
    "numchild",
    "title",
    "slug",
    "kind",
    "published_at",
    "updated",
    "published_revision_id",
)


def anonymous():
    return AnonymousUser()


def candidates():
    """Public, published, live sections; `PublicTree` drops those under hidden ones."""
    return Section.objects.filter(
        ANONYMOUS.q(), in_trash=False, published_revision__isnull=False
    )


@dataclass
class PublicTree:
    """The public part of the tree, in reading order, held in memory.

    One query builds it (5,000 sections load in well under a second); the home
    page asks for two levels only.
    """

    sections: list[Section] = field(default_factory=list)
    by_path: dict[str, Section] = field(default_factory=dict)
    children: dict[str, list[Section]] = field(default_factory=dict)

    @classmethod
    def build(cls, *, max_depth: int | None = None, with_revision: bool = False):
        qs = candidates().only(*SECTION_FIELDS).order_by("path")
        if max_depth is not None:
            qs = qs.filter(depth__lte=max_depth)
        if with_revision:
            qs = qs.select_related("published_revision")
        tree = cls()
        steplen = Section.steplen
        for section in qs.iterator(chunk_size=2000) if not with_revision else qs:
            parent_path = section.path[:-steplen]
            if section.depth > 1 and parent_path not in tree.by_path:
                continue  # under a section the public may not see
            tree.sections.append(section)
            tree.by_path[section.path] = section
            tree.children.setdefault(parent_path, []).append(section)
        return tree

    @property
    def roots(self) -> list[Section]:
        return self.children.get("", [])

    def children_of(self, section: Section) -> list[Section]:
        return self.children.get(section.path, [])

    def ancestors(self, section: Section) -> list[Section]:
        steplen = Section.steplen
        return [
            self.by_path[section.path[:end]]
            for end in range(steplen, len(section.path), steplen)
            if section.path[:end] in self.by_path
        ]

    def ids(self) -> set[int]:
        return {s.pk for s in self.sections}


def public_section(pk: int) -> tuple[Section, list[Section]] | None:
    """The section and its ancestors if an anonymous visitor may read it, else None."""
    section = (
        Section.objects.select_related("published_revision")
        .prefetch_related("groups", "tags")
        .filter(pk=pk)
        .first()
    )
    if section is None or section.published_revision is None:
        return None
    ancestors = list(Section.objects.get_ancestors(section).prefetch_related("groups"))
    if not can_read(anonymous(), section, ancestors=ancestors):
        return None
    return section, ancestors


def public_children(section: Section) -> list[Section]:
    return list(
        Section.objects.get_children(section)
        .filter(ANONYMOUS.q(), in_trash=False, published_revision__isnull=False)
        .only(*SECTION_FIELDS)
        .order_by("path")
    )


def neighbours(section: Section) -> tuple[Section | None, Section | None]:
    """Previous and next public sections in reading order (for article footers)."""
    qs = candidates().only("id", "title", "slug", "path", "depth")
    prev = qs.filter(path__lt=section.path).order_by("-path").first()
    nxt = qs.filter(path__gt=section.path).order_by("path").first()
    return (
        prev if prev and public_section(prev.pk) else None,
        nxt if nxt and public_section(nxt.pk) else None,
    )


def rendered_body(section: Section) -> Rendered:
    """The published body for the public audience (internal blocks left out)."""
    return render_revision(section.published_revision, PUBLIC)


def meta_description(text: str, limit: int = 160) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


# --- popular articles ------------------------------------------------------------


def _view_counts(days: int) -> dict[int, int]:
    """section id -> views over `days`, from the analytics hook (manuals.hooks;
    empty without one)."""
    since = timezone.localdate() - datetime.timedelta(days=days)
    return {
        section_id: sum(cell[0] for cell in by_day.values())
        for section_id, by_day in hooks.view_counts(since_day=since).items()
    }


def popular_sections(*, limit: int = 8, days: int = 30) -> list[Section]:
    """The most read public articles; recently published ones fill the gaps."""
    views = _view_counts(days)
    ranked = sorted(views, key=lambda pk: -views[pk])[: limit * 4]
    found: list[Section] = []
    for pk in ranked:
        hit = public_section(pk)
        if hit and hit[0].kind not in CONTAINER_KINDS:
            found.append(hit[0])
        if len(found) >= limit:
            return found
    recent = (
        candidates()
        .exclude(kind__in=CONTAINER_KINDS)
        .exclude(pk__in=[s.pk for s in found])
        .only(*SECTION_FIELDS)
        .order_by("-published_at")[: limit * 3]
    )
    for section in recent:
        if len(found) >= limit:
            break
        if public_section(section.pk):
            found.append(section)
    return found


# --- the FAQ hook ----------------------------------------------------------------


@dataclass
class FaqCategory:
    """A public FAQ category (pk None for entries without a category)."""

    pk: int | None
    name: str
    entries: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.pk) if self.pk is not None else "other"


def faq_model():
    """The FAQ entry model when the faq app is installed and has public entries.

    This is the portal's one hook into the FAQ: a deployment without the faq app
    gets a portal without an FAQ page.
    """
    if not apps.is_installed("faq"):
        return None
    try:
        model = apps.get_model("faq", "Entry")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"visibility", "question", "answer"} <= names else None


def public_faq(*, render: bool = True) -> list[FaqCategory]:
    """Public FAQ entries grouped by category, answers rendered for the public."""
    model = faq_model()
    if model is None:
        return []
    categories: dict[int | None, FaqCategory] = {}
    entries = model.objects.filter(ANONYMOUS.q()).select_related("category")
    for entry in entries:
        cat = entry.category
        key = cat.pk if cat else None
        if key not in categories:
            categories[key] = FaqCategory(pk=key, name=cat.name if cat else "")
        if render:
            rendered = render_markdown(entry.answer, PUBLIC)
            entry.answer_html = rendered.html
            entry.answer_text = plain_text(rendered.html)
        categories[key].entries.append(entry)
    ordered = [c for k, c in categories.items() if k is not None]
    if None in categories:
        ordered.append(categories[None])
    return ordered


def has_public_faq() -> bool:
    model = faq_model()
    return model is not None and model.objects.filter(ANONYMOUS.q()).exists()


def public_faq_category(key: str) -> FaqCategory | None:
    for category in public_faq():
        if category.key == key:
            return category
    return None


def public_faq_entry_ids() -> dict[int, str]:
    """entry id -> category key of every public entry (for search results)."""
    model = faq_model()
    if model is None:
        return {}
    return {
        pk: str(cat) if cat is not None else "other"
        for pk, cat in model.objects.filter(ANONYMOUS.q()).values_list(
            "pk", "category_id"
        )
    }
