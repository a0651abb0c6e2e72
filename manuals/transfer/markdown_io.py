"""Markdown files with front matter: writing sections out, reading them back.

The front matter is a small, safe subset of YAML that we parse ourselves (no PyYAML
dependency, and nothing in it can run code or build objects): one `key: value` per
line between `---` lines. A value is a plain string, a JSON string ("..."), a
JSON list (["a", "b"]), an integer or true/false. What we write, YAML reads too.

    ---
    title: 退款政策
    kind: policy
    visibility: internal
    slug: 退款政策
    tags: ["退款", "售后"]
    order: 1
    published: true
    ---
    The body, byte for byte (block directives kept as written).
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .problems import WARNING, ImportProblem, Problem

FENCE = "---"
KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s+(.*)|\s*)$")
INT = re.compile(r"^-?\d+$")
# Strings we can write bare: no leading/trailing space, nothing YAML would read as
# another type or syntax.
PLAIN = re.compile(r"""^[^\s\-?:,\[\]{}#&*!|>'"%@`][^#]*$""")
RESERVED = {"true", "false", "yes", "no", "null", "~", "on", "off"}
KEYS = ("title", "kind", "visibility", "slug", "tags", "groups", "order", "published")


@dataclass
class FrontMatter:
    meta: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)  # key -> line number in the file
    body: str = ""
    body_line: int = 1  # line of the file where the body starts


# --- writing ---------------------------------------------------------------------


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    text = str(value)
    if (
        text
        and PLAIN.match(text)
        and ": " not in text
        and text.lower() not in RESERVED
        and not INT.match(text)
        and text == text.strip()
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def dump(meta: dict, body: str) -> str:
    """A Markdown file: front matter (in KEYS order, then any others) and the body."""
    lines = [FENCE]
    for key in [*[k for k in KEYS if k in meta], *[k for k in meta if k not in KEYS]]:
        lines.append(f"{key}: {_value(meta[key])}")
    lines.append(FENCE)
    return "\n".join(lines) + "\n\n" + body


# --- reading ---------------------------------------------------------------------


def _parse_value(raw: str, *, file: str, line: int):
    raw = raw.strip()
    if raw == "":
        return ""
    if raw[0] in '"[':
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ImportProblem(
                _("Front matter value does not parse: %(error)s") % {"error": exc.msg},
                file=file,
                line=line,
            ) from exc
        if isinstance(value, list):
            return [str(v) for v in value]
        return value
    if raw[0] == "'":
        if len(raw) < 2 or raw[-1] != "'":
            raise ImportProblem(
                _("Front matter value has an unclosed quote."), file=file, line=line
            )
        return raw[1:-1].replace("''", "'")
    low = raw.lower()
    if low in {"true", "yes", "on"}:
        return True
    if low in {"false", "no", "off"}:
        return False
    if INT.match(raw):
        return int(raw)
    if raw[0] in "{&*!|>":
        raise ImportProblem(
            _("Front matter supports plain values, quoted strings and [lists] only."),
            file=file,
            line=line,
        )
    return raw


def parse(text: str, *, file: str) -> FrontMatter:
    """Split a file into its front matter and body; raise ImportProblem with a line."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        # No front matter at all: the whole file is the body.
        return FrontMatter(body=text, body_line=1)
    result = FrontMatter()
    for index in range(1, len(lines)):
        line, lineno = lines[index], index + 1
        if line.strip() == FENCE:
            rest = lines[index + 1 :]
            body_line = lineno + 1
            if rest and rest[0] == "":
                rest, body_line = rest[1:], body_line + 1
            result.body = "\n".join(rest)
            result.body_line = body_line
            return result
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = KEY.match(line)
        if match is None:
            raise ImportProblem(
                _("Front matter line is not 'key: value'."), file=file, line=lineno
            )
        key = match.group(1).lower()
        if key in result.meta:
            raise ImportProblem(
                _("Front matter key %(key)s appears twice.") % {"key": key},
                file=file,
                line=lineno,
            )
        result.meta[key] = _parse_value(match.group(2) or "", file=file, line=lineno)
        result.lines[key] = lineno
    raise ImportProblem(
        _("Front matter starts with --- but never ends with ---."), file=file, line=1
    )


# --- bytes to text -----------------------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def decode(data: bytes, *, file: str) -> tuple[str, list[Problem]]:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030.

    Chinese Windows tools still save GBK; such files are converted and reported as
    a warning. Anything else is refused with the line of the first bad byte.
    """
    notes: list[Problem] = []
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportProblem(
            _("This is not a text file (it contains NUL bytes)."), file=file, line=line
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), notes
        except UnicodeDecodeError as exc:
            raise ImportProblem(
                _("The file is not valid UTF-16."), file=file, line=1
            ) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        return text.replace("\r\n", "\n").replace("\r", "\n"), notes
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(text):
        notes.append(
            Problem(
                file=file,
                line=None,
                message=_("The file was GBK-encoded; it was converted to UTF-8."),
                level=WARNING,
            )
        )
        return text.replace("\r\n", "\n").replace("\r", "\n"), notes
    line = data[: utf8_error.start].count(b"\n") + 1
    raise ImportProblem(
        _("The file is neither UTF-8 nor GBK text; save it as UTF-8 and try again."),
        file=file,
        line=line,
    )


def _looks_chinese(text: str) -> bool:
    """Most non-ASCII characters are CJK and none are private-use or controls."""
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return True
    if any(unicodedata.category(c) in {"Co", "Cc", "Cs"} for c in wide):
        return False
    return sum(1 for c in wide if CJK.match(c)) >= 0.6 * len(wide)
