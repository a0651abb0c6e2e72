"""The portal as a static site: one HTML file per public section and FAQ category.

Pages are rendered by the live portal's templates with `StaticLinks`, so every link
is relative and the site works from file:// or any sub-path. Search runs in the
browser over a prebuilt index (`search/index.js`, also as JSON):

* documents carry the public text (rendered for the "public" audience, so internal
  blocks are not in it) and, where folding changes it, a key folded at export time
  with OpenCC (Traditional -> Simplified, full-width -> ASCII, lower case) whose
  offsets match the original text, so snippets show what the page says;
* queries are folded in the browser through a T->S character table exported with
  the index. Only characters whose Simplified form occurs in the export are in it:
  a few KB instead of indexing bigrams of both scripts, which would double the
  index and still need segmentation-free matching. Matching is by substring, so
  Chinese needs no segmenter: any fragment of a word is found.
"""

import json
import posixpath
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from ..media import media_by_path, media_is_public
from ..portal import pages, selectors
from ..portal.links import ASSETS, StaticLinks
from ..portal.models import PortalSettings
from ..rendering import plain_text, render_revision
from ..search.analysis import to_simplified

MARKER = ".kb-portal-export"
CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
SNIPPET_BODY_LIMIT = 20_000  # characters of body text per document in the index

Progress = Callable[[int, int, str], None]


class ExportError(Exception):
    """The export cannot be written (a folder that is not ours, an unwritable path)."""


@dataclass
class ExportReport:
    sections: int = 0
    faq_pages: int = 0
    files: int = 0
    seconds: float = 0.0
    missing_media: list[str] = field(default_factory=list)
    # Files whose owner is not public: left out, like their links.
    withheld_media: list[str] = field(default_factory=list)


class _Writer:
    """Writes files into a folder or a zip, paths always with forward slashes."""

    def __init__(self, out: Path):
        self.out = out
        self.count = 0
        self.zip = None
        if out.suffix.lower() == ".zip":
            out.parent.mkdir(parents=True, exist_ok=True)
            self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=5)
            return
        if out.exists():
            if not out.is_dir():
                raise ExportError(_("%(path)s is not a folder.") % {"path": out})
            if any(out.iterdir()):
                if not (out / MARKER).exists():
                    raise ExportError(
                        _(
                            "%(path)s is not empty and holds no earlier export; "
                            "choose an empty or new folder."
                        )
                        % {"path": out}
                    )
                shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)

    def write(self, path: str, data: str | bytes) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.count += 1
        if self.zip is not None:
            self.zip.writestr(path, data)
            return
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    def copy(self, path: str, source: Path) -> None:
        self.write(path, source.read_bytes())

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


@lru_cache(maxsize=1)
def traditional_to_simplified() -> dict[str, str]:
    """Every CJK character OpenCC folds to another single character (about 4,000)."""
    table = {}
    for start, end in CJK_RANGES:
        for code in range(start, end):
            ch = chr(code)
            folded = to_simplified(ch)
            if folded != ch and len(folded) == 1:
                table[ch] = folded
    return table


def fold(text: str) -> str:
    return to_simplified(text).lower()


class _Media:
    """Uploaded files the exported pages point to, copied once under assets/media/:
    only files with a Media row whose owner anyone may read. A public page showing
    an internal section's image loses the image, as the live site refuses it."""

    def __init__(self, writer: _Writer, report: ExportReport):
        self.writer = writer
        self.report = report
        self.done: dict[str, str | None] = {}
        self.media_url = settings.MEDIA_URL
        self.root = Path(settings.MEDIA_ROOT).resolve()

    def target(self, url: str) -> str | None:
        """The export path of the file at `url`, or None when it is not ours."""
        if url in self.done:
            return self.done[url]
        found = None
        if url.startswith(self.media_url):
            rel = unquote(url[len(self.media_url) :].split("?", 1)[0].split("#", 1)[0])
            item = media_by_path(rel)
            source = (self.root / rel).resolve()
            if item is not None and not media_is_public(item):
                self.report.withheld_media.append(url)
            elif (
                item is not None
                and source.is_file()
                and source.is_relative_to(self.root)
            ):
                found = "assets/media/" + rel
                self.writer.copy(found, source)
            else:
                self.report.missing_media.append(url)
        self.done[url] = found
        return found

    def for_page(self, links: StaticLinks):
        def media(url: str) -> str | None:
            target = self.target(url)
            return links.file(target) if target else None

        return media


def export_portal(
    out,
    *,
    live_url: str | None = None,
    progress: Progress | None = None,
    language: str | None = None,
) -> ExportReport:
    """Write the public portal to `out` (a folder, or a file ending in .zip), in
    `language` (the site's default language unless given)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _export_portal(out, live_url=live_url, progress=progress)


def _export_portal(out, *, live_url, progress) -> ExportReport:
    started = time.monotonic()
    out = Path(out)
    if live_url is None:
        live_url = getattr(settings, "KB_PORTAL_LIVE_URL", "")
    live_url = (live_url or "").rstrip("/")
    report = ExportReport()
    writer = _Writer(out)
    try:
        _export(writer, report, live_url=live_url, progress=progress)
    except BaseException:
        writer.close()
        if out.suffix.lower() == ".zip":
            out.unlink(missing_ok=True)
        raise
    writer.close()
    report.files = writer.count
    report.seconds = time.monotonic() - started
    return report


def _export(writer: _Writer, report: ExportReport, *, live_url, progress) -> None:
    portal = PortalSettings.load()
    tree = selectors.PublicTree.build(with_revision=True)
    public_ids = tree.ids()
    faq = selectors.public_faq()
    media = _Media(writer, report)
    extra = {"has_faq": bool(faq), "live_url": live_url}

    logo_file = ""
    if portal.logo:
        logo_file = "assets/logo" + Path(portal.logo.name).suffix.lower()
        writer.copy(logo_file, Path(portal.logo.path))

    def finish(context: dict, links: StaticLinks) -> dict:
        context.update(extra)
        if logo_file:
            context["logo_src"] = links.file(logo_file)
        return context

    for name, path in ASSETS.items():
        source = finders.find(path)
        if source is None:  # pragma: no cover - a broken checkout
            raise ExportError(_("Static file %(path)s is missing.") % {"path": name})
        writer.copy("assets/" + posixpath.basename(path), Path(source))

    documents = []
    total = len(tree.sections)
    for n, section in enumerate(tree.sections):
        page = StaticLinks.section_file(section)
        links = StaticLinks(page)
        rendered = render_revision(section.published_revision, selectors.PUBLIC)
        context = pages.article_context(
            links,
            section=section,
            rendered=rendered,
            ancestors=tree.ancestors(section),
            children=tree.children_of(section),
            previous=tree.sections[n - 1] if n > 0 else None,
            following=tree.sections[n + 1] if n + 1 < total else None,
            is_public=public_ids.__contains__,
            media=media.for_page(links),
        )
        writer.write(
            page, render_to_string("portal/article.html", finish(context, links))
        )
        documents.append(
            _document(
                page,
                section.title,
                [a.title for a in tree.ancestors(section)],
                plain_text(rendered.html),
            )
        )
        report.sections += 1
        if progress:
            progress(n + 1, total, section.title)

    links = StaticLinks("index.html")
    popular = [s for s in selectors.popular_sections() if s.pk in public_ids]
    context = pages.home_context(
        links,
        roots=tree.roots,
        children_of=tree.children_of,
        popular=popular,
        faq=faq,
    )
    writer.write(
        "index.html", render_to_string("portal/home.html", finish(context, links))
    )

    if faq:
        links = StaticLinks("faq/index.html")
        context = pages.faq_index_context(links, faq=faq)
        writer.write(
            "faq/index.html",
            render_to_string("portal/faq.html", finish(context, links)),
        )
        label = _("Frequently asked questions")
        for category in faq:
            page = StaticLinks.faq_file(category.key)
            links = StaticLinks(page)
            for entry in category.entries:
                entry.answer_html = pages.rewrite_links(
                    str(entry.answer_html),
                    links=links,
                    is_public=public_ids.__contains__,
                    media=media.for_page(links),
                )
                documents.append(
                    _document(
                        f"{page}#q{entry.pk}",
                        entry.question,
                        [label, category.name or _("Other questions")],
                        entry.answer_text,
                    )
                )
            context = pages.faq_category_context(links, category=category)
            writer.write(
                page,
                render_to_string("portal/faq_category.html", finish(context, links)),
            )
            report.faq_pages += 1

    links = StaticLinks("search.html")
    context = pages.base_context(links, title=_("Search"), has_faq=bool(faq))
    context["noindex"] = True
    writer.write(
        "search.html",
        render_to_string("portal/static_search.html", finish(context, links)),
    )
    index = _search_index(documents)
    payload = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    writer.write("search/index.json", payload)
    # A script, not JSON: browsers refuse fetch() from file:// pages.
    writer.write("search/index.js", "window.KB_SEARCH_INDEX = " + payload + ";\n")
    writer.write(MARKER, "")


def _document(url: str, title: str, path: list[str], text: str) -> dict:
    body = " ".join(text.split())[:SNIPPET_BODY_LIMIT]
    doc = {"u": url, "t": title, "p": " › ".join(path), "b": body}
    plain = (title + "\n" + body).lower()
    folded = fold(title + "\n" + body)
    if folded != plain and len(folded) == len(plain):
        doc["k"] = folded
    return doc


def _search_index(documents: list[dict]) -> dict:
    seen = set()
    for doc in documents:
        seen.update(doc.get("k") or (doc["t"] + doc["b"]))
    t2s = {t: s for t, s in traditional_to_simplified().items() if s in seen}
    return {"version": 1, "docs": documents, "t2s": t2s}
