"""`export_manual`: a subtree as a folder of Markdown files that `import_manual` reads.

Each section is `NN-name.md`; its children live in the folder `NN-name/` beside it.
The front matter holds what no body does (title, kind, visibility, slug, tags,
groups, order, published), the body is the published revision's Markdown as written,
block directives included. What is written is chosen by audience: public sections
only, public and internal (the default), or everything including restricted
sections; with `drafts` each section's latest revision is written instead, marked
`published: false` when it is not the published one, so exporting and importing
again loses nothing.
"""

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from ..audience import AUDIENCE_NAMES, takes_groups
from ..models import Section
from . import markdown_io

UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


class ManualExportError(Exception):
    """The export cannot be written where asked."""


@dataclass
class ManualExportReport:
    sections: int = 0
    files: int = 0


def file_stem(order: int, section: Section) -> str:
    name = UNSAFE.sub("-", section.slug or section.title).strip(" .-") or "section"
    return f"{order:02d}-{name[:60]}"


# --visibility: whose sections an export may contain (the public's; staff's, no
# restricted group; everyone's).
AUDIENCES = AUDIENCE_NAMES


def exported_revision(section: Section, *, drafts: bool):
    """The revision an export writes: the published one, or with `drafts` the latest
    (None: nothing to write, the section was never published)."""
    if drafts:
        return section.head_revision or section.published_revision
    return section.published_revision


def section_meta(section: Section, order: int, *, drafts: bool = True) -> dict:
    head = exported_revision(section, drafts=drafts)
    meta = {
        "title": head.title if head else section.title,
        "kind": section.kind,
        "visibility": section.visibility,
        "slug": section.slug,
        "tags": sorted(t.name for t in section.tags.all()),
        "order": order,
        "published": bool(head) and section.published_revision_id == head.pk,
    }
    if takes_groups(section.visibility):
        meta["groups"] = sorted(g.name for g in section.groups.all())
    return meta


def export_manual(
    out,
    *,
    roots: list[Section],
    visibility: str = "internal",  # a key of AUDIENCES
    drafts: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> ManualExportReport:
    """Write each of `roots` and its subtree (trash left out) under `out`.

    `out` is a folder (created; it must be empty) or a path ending in .zip.
    `visibility` ("public", "internal" or "all") says which sections may be written;
    a section left out leaves out its subtree. Without `drafts` only published
    revisions are written and never-published sections are left out.
    """
    if visibility not in AUDIENCES:
        raise ManualExportError(
            _("Unknown visibility: %(v)s (public, internal or all).")
            % {"v": visibility}
        )
    audience = AUDIENCES[visibility]
    out = Path(out)
    as_zip = out.suffix.lower() == ".zip"
    if not as_zip and out.exists() and any(out.iterdir()):
        raise ManualExportError(
            _("%(path)s is not empty; choose an empty or new folder.") % {"path": out}
        )
    nodes = []
    for root in roots:
        nodes += list(
            Section.objects.get_tree(root)
            .filter(audience.q(groups=False), in_trash=False)
            .select_related("head_revision", "published_revision")
            .prefetch_related("tags", "groups")
        )
    report = ManualExportReport()
    folder_of: dict[str, str] = {}  # section path -> folder of its children
    order_in: dict[str, int] = {}  # folder -> sections written in it so far
    root_paths = {r.path for r in roots}
    files: dict[str, str] = {}
    for n, section in enumerate(nodes, start=1):
        head = exported_revision(section, drafts=drafts)
        if head is None:
            continue  # never published: its subtree is left out with it
        if section.path in root_paths:
            folder = ""
        else:
            parent_path = section.path[: -section.steplen]
            if parent_path not in folder_of:
                continue  # under a section left out (trashed, narrower, unpublished)
            folder = folder_of[parent_path]
        order = order_in.get(folder, 0) + 1
        order_in[folder] = order
        stem = file_stem(order, section)
        files[f"{folder}{stem}.md"] = markdown_io.dump(
            section_meta(section, order, drafts=drafts), head.body
        )
        folder_of[section.path] = f"{folder}{stem}/"
        report.sections += 1
        if progress:
            progress(n, len(nodes), section.title)
    _write(out, files, as_zip=as_zip)
    report.files = len(files)
    return report


def _write(out: Path, files: dict[str, str], *, as_zip: bool) -> None:
    if as_zip:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(name, text.encode())
        return
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name, text in files.items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="")
    except OSError:
        shutil.rmtree(out, ignore_errors=True)
        raise
