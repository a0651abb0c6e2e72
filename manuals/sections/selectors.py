"""Read logic shared by views and reports: navigation, listings, the sidebar tree."""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.utils import timezone

from ..models import Section


@dataclass
class TreeNode:
    section: Section
    children: list["TreeNode"] = field(default_factory=list)
    open: bool = False
    current: bool = False

    @property
    def has_children(self) -> bool:
        return self.section.numchild > 0


def sidebar_tree(user, current: Section | None, ancestors: list[Section] = ()) -> list:
    """Top-level manuals plus the children of every node on the path to `current`.

    One query whatever the size of the tree; deeper levels load on demand
    (see `tree_children`), so a page never pulls a 5,000-node tree.
    """
    chain = [*ancestors, current] if current is not None else []
    querysets = [Section.objects.get_root_nodes()]
    querysets += [Section.objects.get_children(node) for node in chain]
    rows = (
        reduce(or_, querysets)
        .visible_to(user)
        .only(
            "id",
            "path",
            "depth",
            "numchild",
            "title",
            "slug",
            "kind",
            "visibility",
            "published_revision_id",
            "head_revision_id",
        )
        .order_by("path")
    )
    open_paths = {node.path for node in chain}
    by_path: dict[str, TreeNode] = {}
    roots: list[TreeNode] = []
    for section in rows:
        node = TreeNode(
            section=section,
            open=section.path in open_paths,
            current=current is not None and section.pk == current.pk,
        )
        by_path[section.path] = node
        parent = by_path.get(section.path[: -section.steplen])
        if section.depth == 1:
            roots.append(node)
        elif parent is not None:
            parent.children.append(node)
    return roots


def tree_children(user, section: Section) -> list[TreeNode]:
    """The visible children of one node, for the sidebar's lazy expansion."""
    return [TreeNode(section=s) for s in children_of(user, section)]


def children_of(user, section: Section):
    return Section.objects.get_children(section).visible_to(user).order_by("path")


def previous_next(user, section: Section) -> tuple[Section | None, Section | None]:
    """Neighbours in reading order (depth-first; materialized paths sort that way)."""
    visible = Section.objects.visible_to(user).only("id", "title", "slug")
    prev = visible.filter(path__lt=section.path).order_by("-path").first()
    nxt = visible.filter(path__gt=section.path).order_by("path").first()
    return prev, nxt


def recently_updated(user, limit: int = 10):
    """Content recently published; manuals and chapters are containers, not news."""
    return (
        Section.objects.visible_to(user)
        .filter(published_at__isnull=False)
        .exclude(kind__in=["manual", "chapter"])
        .order_by("-published_at")[:limit]
    )


def manuals_for(user):
    return Section.objects.get_root_nodes().visible_to(user).order_by("path")


def move_targets(user, exclude: Section | None = None):
    """Every section an editor may move something next to or into, in tree order."""
    qs = Section.objects.readable_by(user).only("id", "title", "depth", "path")
    if exclude is not None:
        qs = qs.exclude(path__startswith=exclude.path)
    return qs.order_by("path")


def overdue_sections(user, *, owner=None, today=None):
    """Visible sections past their review-by date, most overdue first."""
    today = today or timezone.localdate()
    qs = (
        Section.objects.visible_to(user)
        .filter(review_by__lt=today)
        .select_related("owner")
        .order_by("review_by", "path")
    )
    return qs.filter(owner=owner) if owner is not None else qs
