"""Reading a CSV file of people, and what each row would do: a read, never a write
(services.people_import_apply applies a plan, planning the file again).

Files come from Excel as often as not: UTF-8 with or without a byte-order mark,
GBK (Excel on Chinese Windows saves "CSV" in the ANSI code page), UTF-16 ("Unicode
text", tab-separated); commas, semicolons or tabs. Columns are found by their usual
names in English or Chinese, in any order: name, e-mail, team, role, username.
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from ..roles import ROLE_LABELS, role_groups, role_label
from .models import Team
from .permissions import can_change_user

User = get_user_model()

MAX_ROWS = 2000
DEFAULT_MAX_BYTES = 1024 * 1024

# Column -> the header texts that name it (compared casefolded, without spaces,
# hyphens and underscores).
COLUMNS = {
    "username": {"username", "user", "login", "用户名", "账号", "帐号", "登录名"},
    "name": {"name", "fullname", "displayname", "姓名", "名字", "名称"},
    "email": {"email", "mail", "emailaddress", "邮箱", "电子邮件", "电子邮箱", "邮件"},
    "team": {"team", "团队", "小组", "组别", "班组"},
    "role": {"role", "roles", "角色", "岗位"},
}
ROLE_SEPARATORS = re.compile(r"[;,，；、|/]+")
USERNAME_MAX = User._meta.get_field("username").max_length
NAME_MAX = User._meta.get_field("first_name").max_length
EMAIL_MAX = User._meta.get_field("email").max_length
TEAM_MAX = Team._meta.get_field("name").max_length


class ImportFileError(ValidationError):
    """The file as a whole cannot be read: nothing is imported."""


def max_bytes() -> int:
    """The largest file accepted: settings.KB_PEOPLE_CSV_MAX_BYTES, else 1 MiB."""
    return getattr(settings, "KB_PEOPLE_CSV_MAX_BYTES", DEFAULT_MAX_BYTES)


def read_upload(upload) -> str:
    """The text of an uploaded file, or ImportFileError in plain words."""
    limit = max_bytes()
    if upload.size > limit:
        raise ImportFileError(
            _("The file is %(size)s; a CSV file of people may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    return decode(upload.read(limit + 1))


def decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an Excel workbook, not a CSV file. In Excel choose "
                "File > Save As and the type “CSV UTF-8 (comma delimited)”."
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    else:
        # GB18030 reads everything GBK (and GB2312) wrote.
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ImportFileError(
        _(
            "The file is not readable text. Save it as CSV (UTF-8 or the Chinese "
            "Windows encoding GBK) and upload it again."
        )
    )


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-_.．·]+", "", text.strip().lstrip("\ufeff")).casefold()


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_rows(text: str) -> tuple[dict[str, int], list[str], list[tuple[int, dict]]]:
    """(column -> index, ignored header texts, [(line number, {column: text})])."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    try:
        reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
        found = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise ImportFileError(
            _("The file is not a CSV file this page can read (%(error)s).")
            % {"error": error}
        ) from error
    found = [(n, row) for n, row in found if any(cell.strip() for cell in row)]
    if not found:
        raise ImportFileError(_("The file is empty."))
    _line, header = found[0]
    columns, ignored = {}, []
    for index, text_ in enumerate(header):
        key = _header_key(text_)
        column = next((c for c, names in COLUMNS.items() if key in names), None)
        if column and column not in columns:
            columns[column] = index
        elif text_.strip():
            ignored.append(text_.strip())
    if "email" not in columns and "username" not in columns:
        raise ImportFileError(
            _(
                "The first row must name the columns: name, e-mail, team, role "
                "(and username if you like). No e-mail or username column was found."
            )
        )
    rows = []
    for line, row in found[1:]:
        rows.append(
            (
                line,
                {
                    c: (row[i].strip() if i < len(row) else "")
                    for c, i in columns.items()
                },
            )
        )
    if not rows:
        raise ImportFileError(_("The file names its columns but lists nobody."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            _("The file lists %(count)s people; import at most %(max)s at a time.")
            % {"count": len(rows), "max": MAX_ROWS}
        )
    return columns, ignored, rows


@dataclass
class Row:
    """One person of the file, and what importing them would do."""

    line: int
    username: str = ""
    name: str = ""
    email: str = ""
    team: str = ""
    role_text: str = ""
    roles: list = field(default_factory=list)
    user: object = None  # the person already here, if any
    new_team: bool = False
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # for someone already here
    notes: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.errors:
            return "error"
        if self.user is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class Plan:
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)
    new_teams: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def applicable(self) -> bool:
        return bool(self.creates or self.updates)


def _role_lookup() -> dict:
    """Every way a file may name a role (its name, its label in either language)."""
    lookup = {}
    groups = list(role_groups())
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for group in groups:
                lookup[role_label(group).casefold()] = group
    for group in groups:
        lookup[group.name.casefold()] = group
    return lookup


def _known_roles() -> str:
    return ", ".join(str(label) for label in ROLE_LABELS.values())


class _Planner:
    def __init__(self, actor):
        self.actor = actor
        self.roles = _role_lookup()
        self.teams = {t.name.casefold(): t for t in Team.objects.all()}
        self.new_teams: dict[str, str] = {}
        self.usernames: dict[str, int] = {}  # casefolded -> line, in this file
        self.emails: dict[str, int] = {}
        self.validate_username = UnicodeUsernameValidator()

    def row(self, line: int, cells: dict) -> Row:
        row = Row(
            line=line,
            username=cells.get("username", ""),
            name=" ".join(cells.get("name", "").split()),
            email=cells.get("email", ""),
            team=" ".join(cells.get("team", "").split()),
            role_text=cells.get("role", ""),
        )
        self._check_fields(row)
        self._find_roles(row)
        self._find_team(row)
        if not row.errors:
            self._match(row)
        return row

    def _check_fields(self, row: Row) -> None:
        if not row.username and not row.email:
            row.errors.append(_("Neither an e-mail address nor a username."))
        if row.email:
            try:
                validate_email(row.email)
                if len(row.email) > EMAIL_MAX:
                    raise ValidationError("too long")
            except ValidationError:
                row.errors.append(
                    _("Not a valid e-mail address: %(email)s") % {"email": row.email}
                )
        if row.username:
            self._check_username(row, row.username)
        if len(row.name) > NAME_MAX:
            row.errors.append(
                _("The name is longer than %(max)s characters.") % {"max": NAME_MAX}
            )

    def _check_username(self, row: Row, username: str) -> None:
        try:
            self.validate_username(username)
            if len(username) > USERNAME_MAX:
                raise ValidationError("too long")
        except ValidationError:
            row.errors.append(
                _(
                    "Not a valid username: %(username)s (letters, digits and "
                    "@ . + - _ only, at most %(max)s characters)."
                )
                % {"username": username, "max": USERNAME_MAX}
            )

    def _find_roles(self, row: Row) -> None:
        for text in ROLE_SEPARATORS.split(row.role_text):
            text = text.strip()
            if not text:
                continue
            group = self.roles.get(text.casefold())
            if group is None:
                row.errors.append(
                    _("Unknown role: %(role)s (the roles are %(roles)s).")
                    % {"role": text, "roles": _known_roles()}
                )
            elif group not in row.roles:
                row.roles.append(group)

    def _find_team(self, row: Row) -> None:
        if not row.team:
            return
        if len(row.team) > TEAM_MAX:
            row.errors.append(
                _("The team name is longer than %(max)s characters.")
                % {"max": TEAM_MAX}
            )
            return
        team = self.teams.get(row.team.casefold())
        if team is not None:
            row.team = team.name
        else:
            row.team = self.new_teams.setdefault(row.team.casefold(), row.team)
            row.new_team = True

    def _duplicate(self, row: Row) -> bool:
        keys = [("usernames", row.username), ("emails", row.email)]
        for attr, value in keys:
            earlier = getattr(self, attr).get(value.casefold()) if value else None
            if earlier is not None:
                row.errors.append(
                    _("The same person as on line %(line)s.") % {"line": earlier}
                )
                return True
        for attr, value in keys:
            if value:
                getattr(self, attr)[value.casefold()] = row.line
        return False

    def _match(self, row: Row) -> None:
        by_email = (
            list(User.objects.filter(email__iexact=row.email)[:2]) if row.email else []
        )
        if row.username:
            user = User.objects.filter(username__iexact=row.username).first()
            owner = next((u for u in by_email if user is None or u.pk != user.pk), None)
            if owner is not None:
                row.errors.append(
                    _("%(email)s is already the address of %(user)s.")
                    % {"email": row.email, "user": owner.get_username()}
                )
                return
        elif len(by_email) > 1:
            row.errors.append(
                _("Several people have the address %(email)s; add a username column.")
                % {"email": row.email}
            )
            return
        elif by_email:
            user = by_email[0]
        else:
            user = None
            row.username = self._username_for(row)
            if not row.username:
                return
        if user is not None:
            row.username = user.get_username()
        if self._duplicate(row):
            return
        row.user = user
        if user is not None:
            self._changes(row, user)

    def _username_for(self, row: Row) -> str:
        """A new person without a username: the e-mail's local part if it is free,
        else the whole address."""
        local = row.email.split("@", 1)[0]
        for candidate in (local, row.email):
            taken = candidate.casefold() in self.usernames
            if taken or User.objects.filter(username__iexact=candidate).exists():
                continue
            errors = len(row.errors)
            self._check_username(row, candidate)
            if len(row.errors) == errors:
                return candidate
            del row.errors[errors:]
        row.errors.append(
            _("No free username for %(email)s; add a username column.")
            % {"email": row.email}
        )
        return ""

    def _changes(self, row: Row, user) -> None:
        if not can_change_user(self.actor, user):
            row.errors.append(
                _("Only administrators may change %(user)s.")
                % {"user": user.get_username()}
            )
            return
        if not user.is_active:
            row.notes.append(_("Deactivated: stays deactivated."))
        if row.name and row.name != user.get_full_name().strip():
            row.changes.append(_("name becomes %(name)s") % {"name": row.name})
        if row.email and row.email != user.email:
            row.changes.append(_("e-mail becomes %(email)s") % {"email": row.email})
        have = set(user.groups.values_list("pk", flat=True))
        for group in row.roles:
            if group.pk not in have:
                row.changes.append(
                    _("gets the role %(role)s") % {"role": role_label(group)}
                )
        if row.team and not user.kb_teams.filter(name=row.team).exists():
            row.changes.append(_("joins the team %(team)s") % {"team": row.team})


def plan(text: str, *, actor) -> Plan:
    """What importing `text` would do, row by row; ImportFileError if the file as
    a whole cannot be read."""
    _columns, ignored, rows = read_rows(text)
    planner = _Planner(actor)
    planned = [planner.row(line, cells) for line, cells in rows]
    used = {r.team.casefold() for r in planned if r.new_team and not r.errors}
    return Plan(
        rows=planned,
        ignored_columns=ignored,
        new_teams=[name for key, name in planner.new_teams.items() if key in used],
    )
