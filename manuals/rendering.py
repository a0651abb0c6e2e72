"""The one rendering pipeline: block directives -> guards -> markdown -> nh3 -> cache.

Everything a reader sees of a section body, a block or an FAQ answer goes through
`render_markdown`, for one audience at a time: blocks the audience may not see are
left out before markdown ever runs, so their text cannot reach its HTML, snippets,
search index or export.

python-Markdown is quadratic (or recursive) in the size of some constructs, so any
text it is given first passes structural guards (`_defuse`, `_InlineBudget`) that
bound nesting, block sizes and inline work; `validate_body_size` is the one limit on
how long a body may be, used by every way text gets in.

Audiences are named by their key (`permissions.Audience.key`: "public",
"internal:<group ids>" for staff and the restricted groups they belong to, "all" for
superusers), which is also what renderings are cached under, with the language
(admonitions without a title of their own get one in the reader's language).
"""

import bisect
import hashlib
import html
import logging
import re
from dataclasses import dataclass, field

import markdown
import nh3
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from markdown.blockprocessors import HRProcessor
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionProcessor
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from .cache import key as cache_key
from .permissions import Audience, audience_key

logger = logging.getLogger(__name__)

# Heading ids carry a prefix so text written by an editor can never clobber the ids
# of the page around it (DOM clobbering); the sanitizer drops any other id.
HEADING_ID_PREFIX = "h-"

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "div": {
        "admonition",
        "note",
        "tip",
        "warning",
        "danger",
        "important",
        "info",
        "toc",
        "kb-block",
        "kb-block-missing",
    },
    "p": {"admonition-title", "kb-block-label"},
    "code": {f"language-{lang}" for lang in ("python", "json", "bash", "text", "sql")},
    "span": {"kb-mark"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
MARKDOWN_EXTENSIONS = [
    "md_in_html",
    "tables",
    "fenced_code",
    "toc",
    "attr_list",
    "admonition",
    "sane_lists",
]


def _slugify(value: str, separator: str) -> str:
    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


def filter_attribute(tag: str, attr: str, value: str) -> str | None:
    """The sanitizer's attribute rule (nh3's attribute_filter): prefixed heading
    ids and table-cell alignment only; the portal builds its link rewriting on it."""
    if attr == "id" and not value.startswith(HEADING_ID_PREFIX):
        return None
    if attr == "style":
        # Only table cell alignment (markdown's tables emit it) survives.
        value = value.replace(" ", "").lower()
        return (
            value
            if value in {"text-align:left;", "text-align:right;", "text-align:center;"}
            else None
        )
    return value


def sanitize(raw_html: str) -> str:
    """Clean HTML against our allowlist; scripts, handlers and javascript: URLs go."""
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def plain_text(raw_html: str) -> str:
    """Visible text of sanitized HTML, for search indexing and meta descriptions."""
    return html.unescape(
        nh3.clean(raw_html, tags=set(), clean_content_tags={"script", "style"})
    ).strip()


@dataclass
class Rendered:
    html: SafeString
    toc: list[dict] = field(default_factory=list)  # [{"level", "id", "name"}], flat
    # Why the text could not be rendered at all (then `html` is a placeholder).
    error: str = ""
    # Names of the guards that showed part of the text simplified (see _defuse).
    limited: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """Visible text (for the search index): none when the text failed to render."""
        return "" if self.error else plain_text(self.html)


# --- how long a body may be ------------------------------------------------------


class BodyTooLong(ValidationError):
    """A Markdown body longer than KB_MAX_BODY_CHARS."""


def body_limit() -> int:
    """Most characters one body may have (the KB_MAX_BODY_CHARS setting)."""
    return getattr(settings, "KB_MAX_BODY_CHARS", 200_000)


def validate_body_size(text: str | None) -> None:
    """The one rule on how long a body may be, for every way text gets in: section,
    block and FAQ forms, preview, autosave, Markdown and Word import."""
    length, limit = len(text or ""), body_limit()
    if length > limit:
        raise BodyTooLong(
            _("This text is %(length)s characters long; at most %(limit)s are allowed.")
            % {"length": f"{length:,}", "limit": f"{limit:,}"},
            code="body_too_long",
        )


# --- guards: what python-Markdown is given ---------------------------------------
#
# python-Markdown handles some constructs in quadratic time (every block pops the
# head of a list, every inline match rebuilds the paragraph, every "[" scans to its
# "]") or by recursion (nested quotes, lists, emphasis, links). Each limit below
# bounds one of them structurally: beyond it the text is shown simplified (a marker
# escaped, a block split, a paragraph or the rest of the text as plain text), never
# dropped. Real manuals come nowhere near them. No timer is involved: a thread
# cannot be stopped, a bound on the work can.

MAX_NESTING = 12  # list and quote levels one line may open
MAX_BLOCK_LINES = 200  # lines in one block (text between blank lines) ...
MAX_BLOCK_CHARS = 20_000  # ... and characters, unless it is a single line
MAX_BLOCKS = 6_000  # blocks, and elements (lines, table cells, headings): the
MAX_ELEMENTS = 16_000  # rest of the text is shown as plain text
MAX_FENCED_BLOCKS = 500
MAX_HTML_MARKDOWN = 200  # elements with markdown="1" (embedded blocks add one each)
MAX_HTML_DEPTH = 50  # HTML nesting around them
MAX_EMPHASIS_DEPTH = 16
MAX_BRACKET_DEPTH = 16
# Estimated work of the inline patterns over the whole text, in microseconds (see
# _inline_cost); a paragraph that does not fit in what is left is shown as plain text.
INLINE_BUDGET = 300_000
MAX_TOC_ENTRIES = 200
MAX_EMBEDDED_BLOCKS = 200  # block directives expanded in one text

STX, ETX = "\x02", "\x03"  # python-Markdown removes both from its input
_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})[^\n]*", re.M)
_FENCE_RUN = re.compile(r"`+|~+")
# The rest of an opening fence line as fenced_code accepts it (its FENCED_BLOCK_RE,
# kept to one line: an opening we do not recognise is escaped, never trusted).
_FENCE_TAIL = re.compile(
    r"""[ ]*(?:\{[^\n]*\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(["']).*?\1[ ]*)?)"""
)
_MASK = re.compile(STX + r"(\d+)" + ETX)
_DEEP_LINE = re.compile(rf"^[ >*+\-0-9.)]{{{MAX_NESTING + 1},}}[^\n]*", re.M)
_CONTAINER = re.compile(r"[ ]{1,4}|>|[-*+](?=[ ])|[0-9]{1,9}[.)](?=[ ])")
_MD_ATTRIBUTE = re.compile(r"\bmarkdown\s*=", re.I)
_BLANK_LINES = re.compile(r"(\n(?:[ ]*\n)+)")
_LEADING_BACKTICKS = re.compile(r"^`{3,}", re.M)


def _defuse(text: str) -> tuple[str, set[str]]:
    """`text` with every block-level construct within the limits above, and the
    names of the guards that changed something."""
    fired: set[str] = set()
    # What python-Markdown's first preprocessor does, so lines are measured as it
    # will see them.
    text = text.replace(STX, "").replace(ETX, "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text, codes = _mask_fences(text, fired)
    text = _DEEP_LINE.sub(lambda m: _flatten_line(m.group(), fired), text)
    text = _limit_html_markdown(text, fired)
    parts = _BLANK_LINES.split(text)  # block, blank lines, block, ...
    blocks: list[str] = []
    separators: list[str] = []  # separators[i] follows blocks[i]
    for i in range(0, len(parts), 2):
        block = parts[i]
        lines = block.count("\n") + 1
        if lines > MAX_BLOCK_LINES or (lines > 1 and len(block) > MAX_BLOCK_CHARS):
            fired.add("long-block")
            chunks = _split_block(block)
            blocks += chunks
            separators += ["\n\n"] * (len(chunks) - 1)
        else:
            blocks.append(block)
        # A long run of blank lines is one separator here; python-Markdown would
        # make an empty block of every other line.
        separator = parts[i + 1] if i + 1 < len(parts) else ""
        separators.append(separator if separator.count("\n") <= 6 else "\n\n")
    # Each line, table cell and block costs python-Markdown about the same; past
    # MAX_ELEMENTS of them (or MAX_BLOCKS blocks) the rest is shown as plain text.
    elements, kept = 0, len(blocks)
    for index, block in enumerate(blocks):
        # Headings (# or setext =) and admonitions cost about three times a line,
        # rules twice.
        heavy = block.count("\n#") + block.startswith("#") + block.count("\n=")
        heavy += block.count("!!!")
        rules = sum(block.count(f"\n{r}") for r in ("***", "---", "___"))
        elements += block.count("\n") + 1 + block.count("|") + 2 * heavy + rules
        if elements > MAX_ELEMENTS or index >= MAX_BLOCKS:
            kept = index
            break
    tail = ""
    if kept < len(blocks):
        fired.add("blocks")
        rest = "\n\n".join(blocks[kept:])
        rest = _MASK.sub(lambda m: codes[int(m.group(1))], rest).strip("\n")
        runs = [len(r) for r in _LEADING_BACKTICKS.findall(rest)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        tail = f"\n\n{fence}\n{rest}\n{fence}\n"
    text = "".join(b + sep for b, sep in zip(blocks[:kept], separators, strict=False))
    if codes:
        text = _MASK.sub(lambda m: codes[int(m.group(1))], text)
    return text + tail, fired


def _limit_html_markdown(text: str, fired: set[str]) -> str:
    """Elements with markdown="1" are parsed recursively, with the HTML inside them:
    past MAX_HTML_MARKDOWN of them, or around HTML nested deeper than
    MAX_HTML_DEPTH, they are all left as raw HTML."""
    count = len(_MD_ATTRIBUTE.findall(text))
    if not count:
        return text
    if count <= MAX_HTML_MARKDOWN and _html_depth(text) <= MAX_HTML_DEPTH:
        return text
    fired.add("html")
    return _MD_ATTRIBUTE.sub("data-kb-md=", text)


_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link"}
_VOID_TAGS |= {"meta", "source", "track", "wbr"}


def _html_depth(text: str) -> int:
    """How deep HTML tags nest in `text` (roughly: every opening tag counts)."""
    depth = deepest = 0
    for m in _HTML_TAG.finditer(text):
        closing, name, empty = m.groups()
        if closing:
            depth = max(0, depth - 1)
        elif not empty and name.lower() not in _VOID_TAGS:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _mask_fences(text: str, fired: set[str]) -> tuple[str, list[str]]:
    """Fenced code blocks replaced by one-line placeholders (they are code: no guard
    applies inside), pairing fences exactly as fenced_code does; a fence line that
    pairs with nothing, or beyond MAX_FENCED_BLOCKS, is escaped into text."""
    lines = list(_FENCE_LINE.finditer(text))
    if not lines:
        return text, []
    closes: dict[str, list[int]] = {}
    runs = []
    for index, m in enumerate(lines):
        run = _FENCE_RUN.match(m.group()).group()
        runs.append(run)
        if m.group().rstrip(" ") == run:
            closes.setdefault(run, []).append(index)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), in order
    codes: list[str] = []
    i = 0
    while i < len(lines):
        m, run = lines[i], runs[i]
        if _FENCE_TAIL.fullmatch(m.group(), len(run)):
            candidates = closes.get(run, [])
            k = bisect.bisect_right(candidates, i)
            if k < len(candidates):
                j = candidates[k]
                if len(codes) < MAX_FENCED_BLOCKS:
                    codes.append(text[m.start() : lines[j].end()])
                    edits.append(
                        (m.start(), lines[j].end(), f"{STX}{len(codes) - 1}{ETX}")
                    )
                else:
                    fired.add("fences")
                    edits.append((m.start(), m.start(), "\\"))
                    edits.append((lines[j].start(), lines[j].start(), "\\"))
                i = j + 1
                continue
        fired.add("fences")
        edits.append((m.start(), m.start(), "\\"))
        i += 1
    out, pos = [], 0
    for start, end, replacement in edits:
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out), codes


def _flatten_line(line: str, fired: set[str]) -> str:
    """A line whose list and quote markers (and the indentation before them) open
    more than MAX_NESTING levels keeps the first ones; the marker beyond is escaped
    and shown as text. Indentation alone nests nothing, so it is left as it is."""
    if HRProcessor.SEARCH_RE.match(line):
        return line  # "- - - - ..." is a rule, not lists
    pos = markers = spaces = 0
    after_marker = False
    while m := _CONTAINER.match(line, pos):
        token = m.group()
        if token[0] == " ":
            # The space after a marker belongs to it; four more make a level.
            spaces += len(token) - (1 if after_marker else 0)
            after_marker = False
        else:
            markers += 1
            after_marker = True
            if markers + spaces // 4 > MAX_NESTING:
                fired.add("nesting")
                cut = m.start() + (len(token) - 1 if token[0].isdigit() else 0)
                return line[:cut] + "\\" + line[cut:]
        pos = m.end()
    return line


def _split_block(block: str) -> list[str]:
    """One block as several of at most MAX_BLOCK_LINES lines and MAX_BLOCK_CHARS
    characters; a table repeats its header in each."""
    lines = block.split("\n")
    header = []
    if "|" in lines[0] and set(lines[1]) <= set(" |:-") and "-" in lines[1]:
        header = lines[:2]
    chunks, current, size = [], [], 0
    for line in lines:
        full = len(current) >= MAX_BLOCK_LINES or size + len(line) > MAX_BLOCK_CHARS
        if full and len(current) > len(header):
            chunks.append(current)
            current, size = list(header), sum(len(h) + 1 for h in header)
        current.append(line)
        size += len(line) + 1
    chunks.append(current)
    return ["\n".join(chunk) for chunk in chunks]


# Characters where an inline pattern can start matching (each match rebuilds the
# paragraph's string): code, escapes, links and images, HTML and entities, emphasis.
_INLINE_SPECIALS = ("`", "\\", "[", "<", "&", "*", "_", "  \n")
_DELIMITER_RUN = re.compile(r"[*_]+")
_BRACKET = re.compile(r"[\[\]]")
_PAREN = re.compile(r"[()]")
_BACKTICK_RUN = re.compile(r"`+")


def _inline_cost(text: str) -> float | None:
    """Estimated microseconds python-Markdown's inline patterns spend on `text`, or
    None when its emphasis or brackets nest deeper than they may (recursion)."""
    size = len(text)
    specials = sum(text.count(c) for c in _INLINE_SPECIALS)
    # Per pattern tried, per match, and the string rebuilt at every match.
    cost = 25 + 10 * specials + 1e-4 * specials * size
    if text.count("*") + text.count("_") > MAX_EMPHASIS_DEPTH:
        if _emphasis_depth(text) > MAX_EMPHASIS_DEPTH:
            return None
    if "[" in text:
        scanned, depth = _bracket_scan(text)
        if depth > MAX_BRACKET_DEPTH:
            return None
        cost += 0.3 * scanned  # six patterns walk each [...] character by character
        if "](" in text:
            cost += 0.1 * _paren_scan(text)
    if "`" in text:
        cost += 0.02 * _backtick_scan(text)
    return cost


def _emphasis_depth(text: str) -> int:
    """How deep runs of * and _ could nest emphasis (openers minus closers)."""
    depth = deepest = 0
    for m in _DELIMITER_RUN.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        opens, closes = not after.isspace(), not before.isspace()
        levels = (len(m.group()) + 1) // 2
        if opens and not closes:
            depth += levels
            deepest = max(deepest, depth)
        elif closes and not opens:
            depth = max(0, depth - levels)
    return deepest


def _bracket_scan(text: str) -> tuple[int, int]:
    """(characters the link patterns walk from each [ to its ] or the end, deepest
    nesting)."""
    opened: list[int] = []
    scanned = deepest = 0
    for m in _BRACKET.finditer(text):
        if m.group() == "[":
            opened.append(m.start())
            deepest = max(deepest, len(opened))
        elif opened:
            scanned += m.start() - opened.pop()
    return scanned + sum(len(text) - p for p in opened), deepest


def _paren_scan(text: str) -> int:
    """Characters the link pattern walks from each ]( to its ) or the end."""
    opened: list[int] = []
    closing: dict[int, int] = {}
    for m in _PAREN.finditer(text):
        if m.group() == "(":
            opened.append(m.start())
        elif opened:
            closing[opened.pop()] = m.start()
    total, pos = 0, text.find("](")
    while pos != -1:
        total += closing.get(pos + 1, len(text)) - pos
        pos = text.find("](", pos + 2)
    return total


def _backtick_scan(text: str) -> int:
    """Characters the code-span pattern searches from each run of backticks for the
    next run of the same length (or the end)."""
    following: dict[int, int] = {}
    total = 0
    for m in reversed(list(_BACKTICK_RUN.finditer(text))):
        length = len(m.group())
        total += following.get(length, len(text)) - m.start()
        following[length] = m.start()
    return total


class _InlineBudget(Treeprocessor):
    """Runs just before the inline patterns: a text whose inline markup would cost
    more than what is left of INLINE_BUDGET, or nest too deep, stays plain text
    (AtomicString, which the inline patterns skip)."""

    def __init__(self, md, fired: set[str]):
        super().__init__(md)
        self.fired = fired

    def run(self, root):
        left = INLINE_BUDGET
        for element in root.iter():
            for name in ("text", "tail"):
                value = getattr(element, name)
                if not value or isinstance(value, AtomicString):
                    continue
                cost = _inline_cost(value)
                if cost is None or cost > left:
                    setattr(element, name, AtomicString(value))
                    self.fired.add("inline")
                else:
                    left -= cost


class _Guards(Extension):
    def __init__(self, fired: set[str]):
        super().__init__()
        self.fired = fired

    def extendMarkdown(self, md):
        # Priority 25: after the block parser, before "inline" (20).
        md.treeprocessors.register(_InlineBudget(md, self.fired), "kb_budget", 25)


# --- admonitions ------------------------------------------------------------------
#
# python-Markdown titles `!!! warning` with its English class name ("Warning"). The
# types we style get a title in the reader's language instead; a title the author
# wrote (`!!! warning "自定义"`, or "" for none) is kept as written.

ADMONITION_TITLES = {
    "note": pgettext_lazy("admonition title", "Note"),
    "tip": pgettext_lazy("admonition title", "Tip"),
    "info": pgettext_lazy("admonition title", "Info"),
    "important": pgettext_lazy("admonition title", "Important"),
    "warning": pgettext_lazy("admonition title", "Warning"),
    "danger": pgettext_lazy("admonition title", "Danger"),
}


class _TitledAdmonitions(AdmonitionProcessor):
    def get_class_and_title(self, match):
        klass, title = super().get_class_and_title(match)
        if match.group(2) is None:  # the author gave no title
            default = ADMONITION_TITLES.get(klass.split(" ", 1)[0])
            if default is not None:
                title = AtomicString(str(default))  # text, never markup
        return klass, title


class _Admonitions(Extension):
    def extendMarkdown(self, md):
        # Registered under the admonition extension's own name: replaces its processor.
        md.parser.blockprocessors.register(
            _TitledAdmonitions(md.parser), "admonition", 105
        )


_failures_logged: set[str] = set()


def _log_failure(source: str, exc: BaseException) -> None:
    """Log a text that failed to render once per process, not on every view."""
    digest = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
    if digest in _failures_logged:
        return
    if len(_failures_logged) > 1000:
        _failures_logged.clear()
    _failures_logged.add(digest)
    logger.error(
        "Markdown rendering failed (%s characters, sha1 %s): %r",
        len(source),
        digest[:12],
        exc,
        exc_info=exc,
    )


def _not_rendered(message: str, *, editor: bool) -> Rendered:
    """What is shown instead of a text that cannot be rendered: the reason for
    editors, a placeholder for readers."""
    if editor:
        shown = (
            f'<div class="kb-block-missing" role="alert">{html.escape(message)}</div>'
        )
    else:
        placeholder = _("This text cannot be displayed at the moment.")
        shown = f"<p><em>{html.escape(placeholder)}</em></p>"
    return Rendered(html=mark_safe(shown), error=message, limited=("failed",))  # noqa: S308


def _flatten_toc(tokens, out=None):
    out = [] if out is None else out
    for token in tokens:
        out.append(
            {
                "level": token["level"],
                "id": token["id"],
                "name": html.unescape(token["name"]),
            }
        )
        _flatten_toc(token.get("children", []), out)
    return out


# {{block:KEY}} follows the latest published revision; {{block:KEY@N}} is pinned.
# Spaces are allowed inside the braces, line breaks are not (directives are parsed
# line by line for validation and where-used).
DIRECTIVE = re.compile(r"\{\{[ \t]*block:([A-Za-z0-9_-]+)(?:@(\d+))?[ \t]*\}\}")
MAX_BLOCK_DEPTH = 5


class _BlockResolver:
    """Every block a text reaches, fetched one nesting level per query batch, so a page
    embedding twenty blocks costs what a page embedding two does."""

    def __init__(self, overrides=None):
        self.blocks: dict = {}  # key -> Block, or None when no such block
        self.pinned: dict = {}  # (key, number) -> BlockRevision
        # block pk -> revision to use instead of the published one (impact preview)
        self.overrides = overrides or {}

    def revision_of(self, block):
        return self.overrides.get(block.pk, block.published_revision)

    def load(self, text: str) -> None:
        from .models import Block, BlockRevision

        pending = [text]
        for _level in range(MAX_BLOCK_DEPTH + 1):
            found = [
                (m.group(1), int(m.group(2)) if m.group(2) else None)
                for t in pending
                for m in DIRECTIVE.finditer(t)
            ]
            keys = {k for k, _n in found} - self.blocks.keys()
            pins = {(k, n) for k, n in found if n is not None} - self.pinned.keys()
            if not keys and not pins:
                return
            pending = []
            if keys:
                fetched = {
                    b.key: b
                    for b in Block.objects.filter(key__in=keys)
                    .select_related("published_revision")
                    .prefetch_related("groups")
                }
                for key in keys:
                    block = self.blocks[key] = fetched.get(key)
                    if block is not None and self.revision_of(block) is not None:
                        pending.append(self.revision_of(block).body)
            if pins:
                rows = BlockRevision.objects.filter(
                    block__key__in={k for k, _n in pins},
                    number__in={n for _k, n in pins},
                ).select_related("block")
                for rev in rows:
                    if (rev.block.key, rev.number) in pins:
                        self.pinned[(rev.block.key, rev.number)] = rev
                        pending.append(rev.body)


_SPACES = re.compile(r"\s*")
_NEWLINE = re.compile(r"\n")


def _expand(text, audience, editor, depth, stack, deps, resolver, budget):
    """Replace block directives with the text of blocks `audience` may see.

    `budget` (shared by the whole text) bounds how many directives are expanded and
    how much text they add: MAX_EMBEDDED_BLOCKS and body_limit() characters.
    """
    breaks = None  # positions of the line breaks in `text`, found when needed

    def placeholder(message):
        if not editor:
            return ""
        return f'<div class="kb-block-missing">{html.escape(message)}</div>'

    def alone_on_its_line(match) -> bool:
        nonlocal breaks
        if breaks is None:
            breaks = [m.start() for m in _NEWLINE.finditer(text)]
        i = bisect.bisect_left(breaks, match.start())
        start = breaks[i - 1] + 1 if i else 0
        end = breaks[i] if i < len(breaks) else len(text)
        return bool(
            _SPACES.fullmatch(text, start, match.start())
            and _SPACES.fullmatch(text, match.end(), end)
        )

    def replace(match):
        key, number = match.group(1), match.group(2)
        where = {"directive": match.group(0)}
        block = resolver.blocks.get(key)
        if block is None:
            return placeholder(_("%(directive)s: there is no such block") % where)
        deps[block.pk] = block.published_revision_id
        groups = [g.pk for g in block.groups.all()]
        if not Audience.from_key(audience).sees(block.visibility, groups):
            return ""
        if number:
            revision = resolver.pinned.get((key, int(number)))
        else:
            revision = resolver.revision_of(block)
        if revision is None:
            return placeholder(_("%(directive)s: there is no such revision") % where)
        if key in stack or depth >= MAX_BLOCK_DEPTH:
            return placeholder(_("%(directive)s: blocks nested too deep") % where)
        if budget["blocks"] <= 0 or budget["chars"] < len(revision.body):
            budget["fired"] = True
            return placeholder(
                _("%(directive)s: too much embedded text on this page") % where
            )
        budget["blocks"] -= 1
        budget["chars"] -= len(revision.body)
        inner = _expand(
            revision.body,
            audience,
            editor,
            depth + 1,
            stack | {key},
            deps,
            resolver,
            budget,
        )
        if not alone_on_its_line(match):
            return " ".join(inner.split())  # inside a sentence: inline text
        label = ""
        if editor:
            url = reverse("manuals:block", kwargs={"key": key})
            label = (
                f'<p class="kb-block-label"><a href="{url}">'
                f"{html.escape(block.title)}</a></p>\n\n"
            )
        return f'\n<div class="kb-block" markdown="1">\n\n{label}{inner}\n\n</div>\n'

    return DIRECTIVE.sub(replace, text)


def render_markdown(
    text: str,
    audience: str = "public",
    *,
    editor: bool = False,
    deps: dict | None = None,
    overrides: dict | None = None,
) -> Rendered:
    """Markdown source -> sanitized HTML and a table of contents, for one audience.

    `editor` adds visible placeholders for directives that point nowhere and a link
    on each embedded block; readers never see either. `deps` collects the published
    revision of every block looked at, for cache validation.
    """
    deps = {} if deps is None else deps
    text = text or ""
    if len(text) > body_limit():
        # Saved before the limit existed, or set behind the site's back.
        message = _(
            "This text is %(length)s characters long, more than the %(limit)s "
            "allowed, so it is not displayed. Shorten it or split it up."
        ) % {"length": f"{len(text):,}", "limit": f"{body_limit():,}"}
        return _not_rendered(message, editor=editor)
    resolver = _BlockResolver(overrides)
    resolver.load(text)
    budget = {"blocks": MAX_EMBEDDED_BLOCKS, "chars": body_limit(), "fired": False}
    source = _expand(text, audience, editor, 0, frozenset(), deps, resolver, budget)
    source, fired = _defuse(source)
    if budget["fired"]:
        fired.add("embeds")
    md = markdown.Markdown(
        extensions=[*MARKDOWN_EXTENSIONS, _Admonitions(), _Guards(fired)],
        extension_configs={"toc": {"slugify": _slugify, "permalink": False}},
        output_format="html",
    )
    try:
        converted = md.convert(source)
    except Exception as exc:
        # python-Markdown promises nothing about what it raises on text it cannot
        # handle (RecursionError, IndexError, ...); the guards above should keep
        # every accepted text from getting here, and if one still does, its page
        # must show a notice, never fail.
        _log_failure(source, exc)
        message = _(
            "This text cannot be displayed: formatting it failed (%(error)s). "
            "Simplify its deepest nesting of lists, quotes, brackets or emphasis."
        ) % {"error": type(exc).__name__}
        return _not_rendered(message, editor=editor)
    body_html = sanitize(converted)
    toc = [
        t for t in _flatten_toc(md.toc_tokens) if t["id"].startswith(HEADING_ID_PREFIX)
    ]
    if len(toc) > MAX_TOC_ENTRIES:
        fired.add("toc")
        toc = toc[:MAX_TOC_ENTRIES]
    if editor and fired - {"toc"}:
        note = _(
            "Parts of this text are too long, too deeply nested or too repetitive "
            "to format, and are shown simplified."
        )
        body_html = (
            f'<div class="kb-block-missing" role="note">{html.escape(note)}</div>\n'
            + body_html
        )
    return Rendered(
        html=mark_safe(body_html),  # noqa: S308 - sanitized above
        toc=toc,
        limited=tuple(sorted(fired)),
    )


def _as_audience(user_or_audience) -> str:
    if isinstance(user_or_audience, str):
        return user_or_audience
    return audience_key(user_or_audience)


def _blocks_unchanged(deps: dict) -> bool:
    from .models import Block

    if not deps:
        return True
    current = dict(
        Block.objects.filter(pk__in=deps).values_list("pk", "published_revision_id")
    )
    return current == {int(k): v for k, v in deps.items()}


def render_cached(
    name: str, text: str, user_or_audience, *, editor: bool = False, stamp=None
) -> Rendered:
    """`text` rendered for an audience, cached under `name` (which must change when
    the text does, e.g. "Revision:12"), the audience and the language.

    The cache entry remembers which published block revisions went into it and is
    used only while they are still the published ones (one query, and none at all
    for text without blocks), so publishing a block shows at once in every process.
    Given the change stamp (manuals.cache.change_stamp; publishing a block
    writes an audit entry), an entry checked under the same stamp needs no query.
    """
    audience = _as_audience(user_or_audience)
    digest = hashlib.sha1(
        f"{audience}|{editor}".encode(), usedforsecurity=False
    ).hexdigest()[:12]
    key = cache_key("render", 4, name, digest, get_language())
    cached = cache.get(key)
    if cached is not None:
        html, toc, deps, checked_at, error, limited = cached
        found = Rendered(html=mark_safe(html), toc=toc, error=error, limited=limited)  # noqa: S308
        if stamp is not None and checked_at == stamp:
            return found
        if _blocks_unchanged(deps):
            if stamp is not None and deps:
                cache.set(
                    key,
                    (html, toc, deps, stamp, error, limited),
                    settings.KB_RENDER_CACHE_SECONDS,
                )
            return found
    deps: dict = {}
    rendered = render_markdown(text, audience, editor=editor, deps=deps)
    cache.set(
        key,
        (
            str(rendered.html),
            rendered.toc,
            deps,
            stamp,
            rendered.error,
            rendered.limited,
        ),
        settings.KB_RENDER_CACHE_SECONDS,
    )
    return rendered


def render_revision(
    revision, user_or_audience, *, editor: bool = False, stamp=None
) -> Rendered:
    """A revision's body for an audience (revisions never change: cached by id)."""
    return render_cached(
        f"{type(revision).__name__}:{revision.pk}",
        revision.body,
        user_or_audience,
        editor=editor,
        stamp=stamp,
    )


def render_section(section, user_or_audience) -> SafeString:
    """The published body of a section as sanitized HTML (empty if never published)."""
    if section.published_revision is None:
        return mark_safe("")
    return render_revision(section.published_revision, user_or_audience).html
