"""The CSV import: UTF-8 with and without BOM, GBK from Excel, column names in
either language; a preview with per-row errors that changes nothing; applying
creates people without passwords (with links), adds roles and teams to those here;
a bad or oversized file is refused in plain words with nothing changed."""

import codecs
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from manuals.models import AuditEntry
from manuals.people import csvimport, services
from manuals.people.models import Team
from tests.factories import make_admin, make_user

from .conftest import SITE

pytestmark = pytest.mark.django_db
User = get_user_model()

CSV = (
    "name,email,team,role\n"
    "张三,zhangsan@example.com,一组,Agent\n"
    "李四,lisi@example.com,一组,agent;editor\n"
    "王五,wangwu@example.com,,Publisher\n"
)


def upload(client, data: bytes, name="people.csv"):
    return client.post(
        reverse("people:import"), {"file": SimpleUploadedFile(name, data)}
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def rows_of(response) -> dict:
    html = response.content.decode()
    return dict(re.findall(r'data-kb-import-row="(\d+)" data-action="(\w+)"', html))


def snapshot():
    return (
        sorted(User.objects.values_list("username", "email", "first_name")),
        sorted(Team.objects.values_list("name", flat=True)),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: t.encode("gbk"),
        lambda t: t.replace("\n", "\r\n").encode("gbk"),  # Excel: GBK, CRLF
        lambda t: codecs.BOM_UTF16_LE + t.replace(",", "\t").encode("utf-16-le"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gbk-crlf", "utf16-tab"],
)
def test_preview_then_apply(manager_client, manager, encode):
    """The preview shows three new people and a new team and changes nothing;
    applying creates them with their roles and team, and shows their links."""
    before = snapshot()
    preview = upload(manager_client, encode(CSV))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert rows_of(preview) == {"2": "create", "3": "create", "4": "create"}
    assert "张三" in html and "一组" in html
    assert "3 new people" in html
    assert snapshot() == before

    done = manager_client.post(
        reverse("people:import_apply"), {"token": token_of(preview), "send_email": ""}
    )
    assert done.status_code == 200
    zhang = User.objects.get(username="zhangsan")
    assert zhang.first_name == "张三" and zhang.email == "zhangsan@example.com"
    assert not zhang.has_usable_password()
    assert list(zhang.groups.values_list("name", flat=True)) == ["agent"]
    assert set(
        User.objects.get(username="lisi").groups.values_list("name", flat=True)
    ) == {
        "agent",
        "editor",
    }
    team = Team.objects.get(name="一组")
    assert set(team.members.values_list("username", flat=True)) == {"zhangsan", "lisi"}
    assert not User.objects.get(username="wangwu").kb_teams.exists()
    body = done.content.decode()
    assert body.count("/people/set-password/") == 3
    assert mail.outbox == []

    events = [
        e.detail["event"]
        for e in AuditEntry.objects.filter(action=AuditEntry.Action.PEOPLE).order_by(
            "pk"
        )
    ]
    assert events == [
        "team_create",
        "user_create",
        "user_create",
        "user_create",
        "import",
    ]
    # The same token does not apply twice.
    again = manager_client.post(
        reverse("people:import_apply"), {"token": token_of(preview)}, follow=True
    )
    assert "That upload has expired" in again.content.decode()


def test_apply_emails_the_links(manager_client):
    preview = upload(manager_client, CSV.encode())
    manager_client.post(
        reverse("people:import_apply"), {"token": token_of(preview), "send_email": "on"}
    )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lisi@example.com",
        "wangwu@example.com",
        "zhangsan@example.com",
    ]


def test_bad_rows_are_shown_and_skipped(manager_client, manager):
    """Unknown role, bad address, a duplicate, a row naming nobody: each row says
    what is wrong; applying imports the good rows only."""
    make_user("agent", username="existing", email="here@example.com")
    text = (
        "姓名,邮箱,团队,角色,用户名\n"
        "好人,good@example.com,,客服经理,\n"  # unknown role
        "坏邮箱,not-an-address,,Agent,\n"
        "甲,a@example.com,,Agent,\n"
        "甲again,A@EXAMPLE.COM,,Agent,\n"  # the same address again
        ",,,Agent,\n"  # nobody
        "冒名,here@example.com,,Agent,someoneelse\n"  # another's address
        "乙,b@example.com,,Agent,bad name!\n"
        "老用户,here@example.com,二组,editor,\n"  # someone already here
    )
    preview = upload(manager_client, text.encode("utf-8-sig"))
    rows = rows_of(preview)
    assert rows == {
        "2": "error",
        "3": "error",
        "4": "create",
        "5": "error",
        "6": "error",
        "7": "error",
        "8": "error",
        "9": "update",
    }
    html = preview.content.decode()
    assert "Unknown role: 客服经理" in html
    assert "Not a valid e-mail address: not-an-address" in html
    assert "The same person as on line 4." in html
    assert "Neither an e-mail address nor a username." in html
    assert "here@example.com is already the address of existing." in html
    assert "Not a valid username: bad name!" in html
    assert "gets the role Editor" in html and "joins the team 二组" in html
    assert "Rows with errors are skipped" in html

    manager_client.post(reverse("people:import_apply"), {"token": token_of(preview)})
    assert User.objects.filter(username="a").exists()
    assert not User.objects.filter(email__in=["good@example.com", "b@example.com"])
    existing = User.objects.get(username="existing")
    assert existing.first_name == "老用户"
    assert set(existing.groups.values_list("name", flat=True)) == {"agent", "editor"}
    assert list(existing.kb_teams.values_list("name", flat=True)) == ["二组"]
    summary = AuditEntry.objects.get(detail__event="import")
    assert (summary.detail["created"], summary.detail["updated"]) == (1, 1)
    assert summary.detail["skipped"] == 6


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "The submitted file is empty."),
        (b"\n\n", "The file is empty."),
        (b"PK\x03\x04rest-of-a-zip", "This is an Excel workbook"),
        (b"\x00\x01\x02\xff\xfe\xfa", "not readable text"),
        ("名字,部门\n张三,客服\n".encode(), "No e-mail or username column"),
        (b"name,email\n", "lists nobody"),
    ],
    ids=["empty", "blank", "xlsx", "binary", "no-columns", "header-only"],
)
def test_bad_file_changes_nothing(manager_client, data, message):
    before = snapshot()
    response = upload(manager_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'name="token"' not in response.content.decode()
    assert snapshot() == before


def test_oversized_file_refused(manager_client, settings):
    settings.KB_PEOPLE_CSV_MAX_BYTES = 100
    before = snapshot()
    response = upload(manager_client, (CSV * 5).encode())
    assert "a CSV file of people may be at most 100" in response.content.decode()
    assert snapshot() == before


def test_too_many_rows_refused(monkeypatch):
    monkeypatch.setattr(csvimport, "MAX_ROWS", 2)
    with pytest.raises(csvimport.ImportFileError):
        csvimport.read_rows(CSV)


def test_username_from_the_address_and_semicolons(manager):
    """Without a username column the part before @ is the username (or the whole
    address when that is taken); semicolon-separated files are read too."""
    make_user(username="zhangsan")
    text = "name;email;role\n张三;zhangsan@example.com;Agent\n赵;zhao@x.cn;Editor\n"
    plan = csvimport.plan(text, actor=manager)
    assert [(r.action, r.username) for r in plan.rows] == [
        ("create", "zhangsan@example.com"),
        ("create", "zhao"),
    ]


def test_manager_cannot_change_a_superuser_by_import(manager):
    make_admin("boss")
    plan = csvimport.plan("username,role\nboss,agent\n", actor=manager)
    assert plan.rows[0].errors == ["Only administrators may change boss."]


def test_apply_plans_again(manager):
    """What the preview showed is not trusted: a username taken since is skipped."""
    text = "username,email\nlate,late@example.com\n"
    assert csvimport.plan(text, actor=manager).creates == 1
    make_user(username="other", email="late@example.com")
    result = services.people_import_apply(actor=manager, text=text, site_url=SITE)
    assert result.invites == [] and len(result.skipped) == 1
    assert not User.objects.filter(username="late").exists()
