"""Import: read Markdown folders, zips and Word files into a plan, check it, apply it.

Reading never writes: `read_source` turns the input into a tree of `PlanNode`s and a
list of problems (file and line each), which the preview page shows as is. `apply`
creates the sections through the services in ONE transaction: with any error nothing
is imported, unless `partial` asks to skip the files with errors (and what is under
them) and import the rest.
"""

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import directives, media, permissions
from ..models import Kind, Section, Visibility
from ..rendering import (
    DIRECTIVE,
    MAX_EMBEDDED_BLOCKS,
    BodyTooLong,
    body_limit,
    validate_body_size,
)
from ..sections import services
from . import docx_import, markdown_io
from .plan import PendingImage, Plan, PlanNode
from .problems import WARNING, ImportFailed, ImportProblem, Problem

__all__ = ["PendingImage", "Plan", "PlanNode", "apply", "check", "read_source"]

MAX_ZIP_ENTRIES = 5000
# A character is at most 4 bytes in the encodings we read (UTF-8, UTF-16, GB18030):
# a bigger file holds more than KB_MAX_BODY_CHARS and is refused without reading it.
MAX_FILE_BYTES_PER_CHAR = 4
MAX_FRONT_MATTER_BYTES = 64 * 1024


@dataclass
class ImportResult:
    created: list[Section] = field(default_factory=list)
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)


# --- reading ---------------------------------------------------------------------


def read_source(path, *, split_level: int = 2, name: str = "") -> Plan:
    """Read a .md file, a folder of .md files, a .zip of them, a .docx or a folder
    of .docx files into a plan. `name` is how files are named in the report."""

    path = Path(path)
    label = name or path.name
    plan = Plan()
    if not path.exists():
        plan.problems.append(
            Problem(label, None, _("There is no such file or folder."))
        )
        return plan
    suffix = path.suffix.lower()
    if path.is_dir():
        docx = sorted(p for p in path.iterdir() if p.suffix.lower() == ".docx")
        if docx and not any(p.suffix.lower() == ".md" for p in path.rglob("*")):
            for file in docx:
                docx_import.read_docx(file, plan=plan, split_level=split_level)
        else:
            plan.roots += _read_folder(path, plan=plan, base=path)
    elif suffix == ".zip":
        with _unpacked(path, label, plan) as folder:
            if folder is not None:
                sub = read_source(folder, split_level=split_level)
                plan.roots += sub.roots
                plan.problems += sub.problems
    elif suffix == ".docx":
        docx_import.read_docx(path, plan=plan, split_level=split_level, name=label)
    elif suffix in {".md", ".markdown"}:
        node = _read_markdown(path, plan=plan, base=path.parent, label=label)
        if node is not None:
            children = path.with_suffix("")
            if children.is_dir():
                node.children = _read_folder(children, plan=plan, base=path.parent)
            plan.roots.append(node)
    else:
        plan.problems.append(
            Problem(label, None, _("Import reads .md, .zip and .docx files only."))
        )
    return plan


def _rel(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.name


def _read_folder(folder: Path, *, plan: Plan, base: Path) -> list[PlanNode]:
    """The sections of one folder, in order, each with its children's folder."""
    entries = sorted(folder.iterdir(), key=lambda p: p.name)
    # Not is_file(): a broken link is a file we cannot read, to report, not skip.
    md_files = [p for p in entries if not p.is_dir() and p.suffix.lower() == ".md"]
    stems = {p.stem for p in md_files}
    nodes = []
    for file in md_files:
        node = _read_markdown(file, plan=plan, base=base)
        if node is None:
            continue
        children = folder / file.stem
        if children.is_dir():
            node.children = _read_folder(children, plan=plan, base=base)
        nodes.append(node)
    for entry in entries:
        if (
            entry.is_dir()
            and entry.name not in stems
            and not entry.name.startswith(".")
        ):
            plan.problems.append(
                Problem(
                    _rel(entry, base) + "/",
                    None,
                    _(
                        "This folder has no %(name)s.md beside it, so it has no "
                        "parent section; its files were not read."
                    )
                    % {"name": entry.name},
                )
            )
        elif not entry.is_dir() and entry.suffix.lower() != ".md":
            if not entry.name.startswith("."):
                plan.problems.append(
                    Problem(
                        _rel(entry, base),
                        None,
                        _("Not a Markdown file; skipped."),
                        level=WARNING,
                    )
                )
    nodes.sort(key=lambda n: (n.order is None, n.order or 0))
    return nodes


def _read_markdown(
    file: Path, *, plan: Plan, base: Path, label: str = ""
) -> PlanNode | None:
    """One section from one file, or None (with the problem noted) when unreadable."""
    label = label or _rel(file, base)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES_PER_CHAR * body_limit() + MAX_FRONT_MATTER_BYTES:
            # Surely too long, whatever its encoding: refused unread.
            plan.problems.append(
                Problem(
                    label,
                    None,
                    _(
                        "This file is %(size)s bytes, too big for one section "
                        "(at most %(limit)s characters); split it into several "
                        "files."
                    )
                    % {"size": f"{size:,}", "limit": f"{body_limit():,}"},
                )
            )
            return None
        data = file.read_bytes()
    except OSError as exc:
        plan.problems.append(
            Problem(label, None, _("Cannot read the file: %(e)s") % {"e": exc.strerror})
        )
        return None
    try:
        text, notes = markdown_io.decode(data, file=label)
        plan.problems += notes
        front = markdown_io.parse(text, file=label)
    except ImportProblem as exc:
        plan.problems.append(exc.problem)
        return None
    meta = front.meta
    stem = file.stem
    default_title = (
        stem.split("-", 1)[1] if stem[:2].isdigit() and "-" in stem else stem
    )
    node = PlanNode(
        title=str(meta.get("title") or default_title).strip(),
        body=front.body,
        kind=str(meta.get("kind", Kind.ARTICLE)),
        visibility=str(meta.get("visibility", Visibility.INTERNAL)),
        slug=str(meta.get("slug") or ""),
        tags=[str(t) for t in _as_list(meta.get("tags"))],
        groups=[str(g) for g in _as_list(meta.get("groups"))],
        order=meta.get("order") if isinstance(meta.get("order"), int) else None,
        published=bool(meta.get("published", True)),
        file=label,
        line=1,
        body_line=front.body_line,
        key_lines=front.lines,
    )
    if "order" in meta and not isinstance(meta["order"], int):
        node.errors.append(
            Problem(label, front.lines["order"], _("order must be a whole number."))
        )
    return node


def _as_list(value) -> list:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


@contextmanager
def _unpacked(path: Path, label: str, plan: Plan):
    """Unpack a zip into a temporary folder, refusing unsafe or oversized archives."""
    tmp = Path(tempfile.mkdtemp(prefix="kb-import-"))
    try:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            plan.problems.append(Problem(label, None, _("This is not a readable zip.")))
            yield None
            return
        with archive:
            infos = archive.infolist()
            limit = settings.KB_IMPORT_MAX_UNPACKED_BYTES
            if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > limit:
                plan.problems.append(
                    Problem(
                        label, None, _("The zip unpacks to too many or too big files.")
                    )
                )
                yield None
                return
            for info in infos:
                name = _zip_name(info)
                parts = PurePosixPath(name.replace("\\", "/")).parts
                if not parts or name.startswith("/") or ".." in parts:
                    plan.problems.append(
                        Problem(f"{label}/{name}", None, _("Unsafe path in the zip."))
                    )
                    continue
                if parts[0] == "__MACOSX" or info.is_dir():
                    continue
                target = tmp.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    target.write_bytes(archive.read(info))
                except (zipfile.BadZipFile, OSError, EOFError):
                    plan.problems.append(
                        Problem(f"{label}/{name}", None, _("Cannot unpack this file."))
                    )
        yield _single_folder(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are cp437 to zipfile; Chinese Windows wrote GBK."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _single_folder(folder: Path) -> Path:
    """A zip of one folder (as "compress folder" makes) reads as that folder."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        sub = entries[0]
        if not (folder / (sub.name + ".md")).exists():
            return sub
    return folder


# --- checking --------------------------------------------------------------------


def check(plan: Plan, *, parent: Section | None) -> None:
    """Add to each node the errors that would stop it importing (once per plan)."""
    if plan.checked:
        return
    plan.checked = True
    group_names = set(Group.objects.values_list("name", flat=True))
    existing = set()
    if parent is not None:
        # By path, not get_children(): a parent object held since before its
        # children were added has a stale numchild and would list none.
        existing = set(
            Section.objects.filter(
                path__startswith=parent.path, depth=parent.depth + 1, in_trash=False
            ).values_list("slug", flat=True)
        )
    _check_siblings(plan.roots, existing=existing, groups=group_names)
    for node in plan.nodes():
        plan.problems += node.errors


def _check_siblings(nodes: list[PlanNode], *, existing: set, groups: set) -> None:
    seen: dict[str, PlanNode] = {}
    for node in nodes:
        _check_node(node, groups=groups)
        slug = node.slug or slugify(node.title, allow_unicode=True)
        line = node.key_lines.get("slug", node.line)
        if slug in seen:
            node.errors.append(
                Problem(
                    node.file,
                    line,
                    _("Duplicate slug %(slug)s: %(other)s has it too.")
                    % {"slug": slug, "other": seen[slug].file},
                )
            )
        elif slug in existing:
            node.errors.append(
                Problem(
                    node.file,
                    line,
                    _("A section with the slug %(slug)s already exists there.")
                    % {"slug": slug},
                )
            )
        seen[slug] = node
        _check_siblings(node.children, existing=set(), groups=groups)


def _check_node(node: PlanNode, *, groups: set) -> None:
    lines = node.key_lines
    if not node.title:
        node.errors.append(Problem(node.file, lines.get("title"), _("No title.")))
    elif len(node.title) > 200:
        node.errors.append(
            Problem(
                node.file, lines.get("title"), _("The title is over 200 characters.")
            )
        )
    if node.kind not in Kind.values:
        node.errors.append(
            Problem(
                node.file,
                lines.get("kind"),
                _("Unknown kind %(kind)s; use one of %(kinds)s.")
                % {"kind": node.kind, "kinds": ", ".join(Kind.values)},
            )
        )
    if node.visibility not in Visibility.values:
        node.errors.append(
            Problem(
                node.file,
                lines.get("visibility"),
                _("Unknown visibility %(v)s; use public, internal or restricted.")
                % {"v": node.visibility},
            )
        )
    for name in node.groups:
        if name not in groups:
            node.errors.append(
                Problem(
                    node.file,
                    lines.get("groups"),
                    _("There is no group %(name)s.") % {"name": name},
                )
            )
    try:
        validate_body_size(node.body)
    except BodyTooLong as exc:
        # The same limit as the editor's; nothing else is checked in a text this long.
        node.errors.append(Problem(node.file, node.body_line, exc.messages[0]))
        return
    directive_count = len(DIRECTIVE.findall(node.body))
    if directive_count > MAX_EMBEDDED_BLOCKS:
        message = _(
            "This text has %(count)s block directives; at most %(max)s are allowed."
        ) % {"count": directive_count, "max": MAX_EMBEDDED_BLOCKS}
        node.errors.append(Problem(node.file, node.body_line, message))
        return
    for offset, text in enumerate(node.body.split("\n")):
        if DIRECTIVE.search(text):
            line = node.body_line + offset
            # Padding with newlines makes check() name the line of the file.
            for message in directives.check("\n" * (line - 1) + text):
                node.errors.append(Problem(node.file, line, message))


# --- applying --------------------------------------------------------------------


def apply(
    plan: Plan,
    *,
    parent: Section | None,
    user,
    partial: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportResult:
    """Create the planned sections under `parent` (new manuals when None).

    One transaction: any error raises ImportFailed and nothing is kept, unless
    `partial`, which skips the files with errors and everything under them.
    """
    if not permissions.can_create(user):
        raise PermissionDenied(_("You may not create sections."))
    if parent is not None and (
        parent.in_trash or not permissions.can_read(user, parent)
    ):
        raise ImportFailed(
            [
                Problem(
                    "", None, _("The parent section does not exist or is in the trash.")
                )
            ]
        )
    check(plan, parent=parent)
    fatal = [p for p in plan.problems if p.is_error]
    if fatal and not partial:
        raise ImportFailed(plan.problems)
    result = ImportResult(problems=list(plan.problems))
    total = plan.count
    saved: list[Path] = []
    groups = {g.name: g for g in Group.objects.all()}
    may_publish = permissions.can_publish(user)
    done = 0
    try:
        with transaction.atomic():
            stack = [(node, parent) for node in reversed(plan.roots)]
            while stack:
                node, under = stack.pop()
                if node.errors:
                    result.skipped += sum(1 for _n in node.walk())
                    continue
                body, images = _save_images(node, saved)
                try:
                    section = services.section_create(
                        parent=under,
                        title=node.title,
                        body=body,
                        kind=node.kind,
                        visibility=node.visibility,
                        groups=[groups[g] for g in node.groups if g in groups],
                        user=user,
                        message=_("Imported from %(file)s") % {"file": node.file},
                        publish=node.published and may_publish,
                    )
                except ValidationError as exc:
                    problem = Problem(node.file, node.line, "; ".join(exc.messages))
                    if not partial:
                        raise ImportFailed([*plan.problems, problem]) from exc
                    result.problems.append(problem)
                    result.skipped += sum(1 for _n in node.walk())
                    continue
                if node.tags:
                    services.section_update_settings(
                        section=section,
                        user=user,
                        kind=section.kind,
                        visibility=section.visibility,
                        groups=list(section.groups.all()),
                        owner=section.owner,
                        review_by=section.review_by,
                        tags=node.tags,
                    )
                for image in images:
                    media.media_attach(stored=image, owner=section, user=user)
                result.created.append(section)
                done += 1
                if progress:
                    progress(done, total, node.title)
                stack += [(child, section) for child in reversed(node.children)]
    except BaseException:
        for path in saved:
            path.unlink(missing_ok=True)
        raise
    for section in result.created:
        section.refresh_from_db()  # numchild changed as children were added
    return result


def _save_images(node: PlanNode, saved: list[Path]):
    """Save a Word file's images under MEDIA_ROOT/imports/; point the body at them.
    Their Media rows follow once the section they belong to exists."""
    body, stored = node.body, []
    for n, image in enumerate(node.images, start=1):
        item = media.media_store(
            content=image.data, filename=f"image{n}.{image.extension}", folder="imports"
        )
        saved.append(item.path)
        stored.append(item)
        body = body.replace(image.placeholder, item.url)
    return body, stored
