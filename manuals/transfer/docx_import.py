"""Word (.docx) files to planned sections: mammoth makes HTML, we make Markdown.

Headings up to `split_level` start sections (Heading 1 a section, Heading 2 its
child, ...); deeper headings stay in the body. A document whose only Heading 1
opens it names the document's section; otherwise the file name does. Tables, lists,
bold, italic and links become Markdown. Images are kept for the import to save under
MEDIA_ROOT/imports/ as media of the section they are in (manuals.media); images of
another kind than PNG, JPEG, GIF and WebP (judged by their content: EMF, WMF, TIFF,
BMP ...) or too big are reported as skipped, never silently dropped.
"""

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.parsers.expat import ExpatError
from xml.sax import SAXException

import mammoth
from django.utils.translation import gettext as _

from ..media import IMAGE_TYPES, MediaRejected, check_image
from .plan import PendingImage, Plan, PlanNode
from .problems import WARNING, Problem

# Fixed width, so no placeholder is the prefix of another.
PLACEHOLDER = "kb-import-image-{n:04d}"
SKIPPED = "kb-skipped-image"
VOID = {"br", "img", "hr"}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"}
MD_SPECIAL = re.compile(r"([\\`*_\[\]])")


class _Node:
    def __init__(self, tag: str, attrs: dict, parent=None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list = []  # _Node or str

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """mammoth's HTML (well formed, no scripts) as a small tree."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(_Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def _escape(text: str) -> str:
    # Python-Markdown has no backslash escape for "<": an entity does it.
    return MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


class _Markdown:
    """HTML tree -> Markdown, collecting the images it meets."""

    def __init__(self, images: dict[str, PendingImage], skipped: list[str]):
        self.images = images
        self.skipped = skipped

    def inline(self, node) -> str:
        if isinstance(node, str):
            return _escape(node.replace("\n", " "))
        inner = "".join(self.inline(c) for c in node.children)
        tag = node.tag
        if tag in {"strong", "b"}:
            return f"**{inner.strip()}**" if inner.strip() else inner
        if tag in {"em", "i"}:
            return f"*{inner.strip()}*" if inner.strip() else inner
        if tag == "a":
            href = node.attrs.get("href", "")
            if not href or href.startswith("#") or not inner.strip():
                return inner
            return f"[{inner}]({href.replace(' ', '%20').replace(')', '%29')})"
        if tag == "br":
            return "<br>"
        if tag == "img":
            return self.image(node)
        if tag in {"sup", "sub", "s", "del", "u"}:
            return f"<{tag}>{inner}</{tag}>"
        return inner

    def image(self, node) -> str:
        src = node.attrs.get("src", "")
        alt = node.attrs.get("alt", "") or _("image")
        if src in self.images:
            return f"![{_escape(alt)}]({src})"
        return "*[" + _("Image skipped: %(alt)s") % {"alt": _escape(alt)} + "]*"

    def block(self, node, depth: int = 0) -> str:
        if isinstance(node, str):
            return _escape(node.strip()) + "\n\n" if node.strip() else ""
        tag = node.tag
        if tag == "p":
            text = "".join(self.inline(c) for c in node.children).strip()
            return text + "\n\n" if text else ""
        if re.fullmatch(r"h[1-6]", tag):
            text = "".join(self.inline(c) for c in node.children).strip()
            return "#" * max(2, int(tag[1])) + " " + text + "\n\n" if text else ""
        if tag in {"ul", "ol"}:
            return self.list(node, depth) + ("\n" if depth == 0 else "")
        if tag == "table":
            return self.table(node)
        if tag == "blockquote":
            inner = "".join(self.block(c) for c in node.children).strip()
            return "\n".join("> " + line for line in inner.split("\n")) + "\n\n"
        if tag in {"img", "a", "strong", "em", "b", "i"}:
            return self.inline(node) + "\n\n"
        return "".join(self.block(c, depth) for c in node.children)

    def list(self, node, depth: int) -> str:
        out = []
        number = 0
        for item in node.children:
            if isinstance(item, str) or item.tag != "li":
                continue
            number += 1
            marker = f"{number}." if node.tag == "ol" else "-"
            text, nested = [], []
            for child in item.children:
                if not isinstance(child, str) and child.tag in {"ul", "ol"}:
                    nested.append(self.list(child, depth + 1))
                elif not isinstance(child, str) and child.tag == "p":
                    text.append("".join(self.inline(c) for c in child.children))
                else:
                    text.append(self.inline(child))
            # Python-Markdown nests lists by four spaces.
            out.append("    " * depth + f"{marker} {' '.join(text).strip()}\n")
            out += nested
        return "".join(out)

    def table(self, node) -> str:
        rows = []

        def collect(n):
            for c in n.children:
                if isinstance(c, str):
                    continue
                if c.tag == "tr":
                    rows.append(c)
                elif c.tag in {"thead", "tbody", "tfoot"}:
                    collect(c)

        collect(node)
        grid = []
        for row in rows:
            cells = []
            for cell in row.children:
                if isinstance(cell, str) or cell.tag not in {"td", "th"}:
                    continue
                parts = []
                for c in cell.children:
                    if not isinstance(c, str) and c.tag in {"ul", "ol"}:
                        parts.append(self.list(c, 0).replace("\n", " ").strip())
                    else:
                        parts.append(self.inline(c).strip())
                text = "<br>".join(p for p in parts if p).replace("|", "\\|")
                cells.append(text or " ")
                span = int(cell.attrs.get("colspan", "1") or 1)
                cells += [" "] * (span - 1)
            grid.append(cells)
        if not grid:
            return ""
        width = max(len(r) for r in grid)
        grid = [r + [" "] * (width - len(r)) for r in grid]
        lines = ["| " + " | ".join(grid[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(r) + " |" for r in grid[1:]]
        return "\n".join(lines) + "\n\n"


def read_docx(path: Path, *, plan: Plan, split_level: int = 2, name: str = "") -> None:
    """Add the sections of one Word file to `plan` (or its problems)."""
    label = name or path.name
    images: dict[str, PendingImage] = {}
    skipped: list[str] = []

    def convert_image(image):
        alt = image.alt_text or ""
        with image.open() as stream:
            data = stream.read()
        # By content, not by the type the file declares: the same check as saving.
        try:
            content_type = check_image(data)
        except MediaRejected as exc:
            skipped.append(f"{alt or _('image')} ({image.content_type}): {exc.message}")
            return {"src": SKIPPED, "alt": alt}
        key = PLACEHOLDER.format(n=len(images) + 1)
        images[key] = PendingImage(
            placeholder=key, data=data, extension=IMAGE_TYPES[content_type]
        )
        return {"src": key, "alt": alt}

    try:
        with path.open("rb") as stream:
            result = mammoth.convert_to_html(
                stream, convert_image=mammoth.images.img_element(convert_image)
            )
    except OSError as exc:
        plan.problems.append(
            Problem(label, None, _("Cannot read the file: %(e)s") % {"e": exc.strerror})
        )
        return
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        ExpatError,
        SAXException,
        EOFError,
    ):
        plan.problems.append(
            Problem(
                label,
                None,
                _("This is not a readable Word (.docx) file; it may be damaged."),
            )
        )
        return
    for message in result.messages:
        if "image" in message.message.lower() or message.type == "error":
            plan.problems.append(Problem(label, None, message.message, level=WARNING))
    for what in skipped:
        plan.problems.append(
            Problem(
                label,
                None,
                _("Image skipped: %(what)s") % {"what": what},
                level=WARNING,
            )
        )
    builder = _TreeBuilder()
    builder.feed(result.value)
    plan.roots.append(
        _sections(builder.root, label, path.stem, split_level, images, skipped)
    )


def _sections(root, label, stem, split_level, images, skipped) -> PlanNode:
    md = _Markdown(images, skipped)
    blocks = [c for c in root.children if not (isinstance(c, str) and not c.strip())]
    h1s = [b for b in blocks if not isinstance(b, str) and b.tag == "h1"]
    top = PlanNode(title=stem, file=label, line=None)
    if len(h1s) == 1 and blocks and blocks[0] is h1s[0] and split_level >= 1:
        top.title = h1s[0].text().strip()[:200] or stem
        blocks = blocks[1:]
        levels_offset = 1  # Heading 2 makes the document section's children
    else:
        levels_offset = 0
    stack: list[tuple[int, PlanNode]] = [(levels_offset, top)]
    bodies: dict[int, list[str]] = {id(top): []}
    paragraph = 0
    for block in blocks:
        paragraph += 1
        tag = block.tag if not isinstance(block, str) else ""
        level = int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else None
        if level is not None and levels_offset < level <= split_level:
            title = block.text().strip()
            if title:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                node = PlanNode(title=title[:200], file=label, line=None)
                node.key_lines = {"paragraph": paragraph}
                stack[-1][1].children.append(node)
                stack.append((level, node))
                bodies[id(node)] = []
                continue
        bodies[id(stack[-1][1])].append(md.block(block))
    for node in top.walk():
        body = "".join(bodies.get(id(node), [])).strip()
        node.body = body + "\n" if body else ""
        node.kind = "manual" if node is top else "article"
        node.images = [images[k] for k in images if k in node.body]
    for node in top.walk():
        if node.children and node is not top:
            node.kind = "chapter"
    return top
