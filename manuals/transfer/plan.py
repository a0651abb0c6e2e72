"""What an import reads before it writes anything: a tree of planned sections with
their problems (file and line each), shown by the preview and applied by the importer.

Both readers (Markdown in importer.py, Word in docx_import.py) build these.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..models import Kind, Visibility
from .problems import Problem


@dataclass
class PendingImage:
    """An image from a Word file, saved under MEDIA_ROOT/imports/ when applied."""

    placeholder: str
    data: bytes
    extension: str


@dataclass
class PlanNode:
    title: str
    body: str = ""
    kind: str = Kind.ARTICLE
    visibility: str = Visibility.INTERNAL
    slug: str = ""
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    order: int | None = None
    published: bool = True
    file: str = ""
    line: int | None = None
    body_line: int = 1
    key_lines: dict = field(default_factory=dict)
    images: list[PendingImage] = field(default_factory=list)
    children: list["PlanNode"] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def walk(self) -> Iterator["PlanNode"]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def kind_label(self) -> str:
        """The kind as the interface names it (an unknown value as written)."""
        return Kind(self.kind).label if self.kind in Kind.values else self.kind

    @property
    def visibility_label(self) -> str:
        if self.visibility in Visibility.values:
            return Visibility(self.visibility).label
        return self.visibility


@dataclass
class Plan:
    roots: list[PlanNode] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def nodes(self) -> Iterator[PlanNode]:
        for root in self.roots:
            yield from root.walk()

    @property
    def count(self) -> int:
        return sum(1 for _n in self.nodes())
