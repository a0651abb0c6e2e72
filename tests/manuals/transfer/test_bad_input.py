"""Bad input: every problem is reported with its file and line, and an import with
problems imports nothing (unless --partial, which skips the files with problems)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from manuals.models import Section
from manuals.sections import services
from manuals.transfer.importer import apply, read_source
from manuals.transfer.problems import ImportFailed

pytestmark = pytest.mark.django_db


def _write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


@pytest.fixture
def messy(tmp_path):
    """A folder with one good file, one good child of a bad file, and every kind of
    bad file."""
    root = tmp_path / "in"
    _write(root, "01-好的.md", "---\ntitle: 好的\nkind: sop\n---\n\n正文\n")
    _write(root, "02-坏的头.md", "---\ntitle: 坏的头\nkind sop\n---\n\n正文\n")
    _write(root, "02-坏的头/01-孩子.md", "---\ntitle: 孩子\n---\n孩子正文\n")
    _write(root, "03-未闭合.md", "---\ntitle: 未闭合\nkind: sop\n\n正文\n")
    _write(root, "04-编码.md", b"---\ntitle: x\n---\n\xff\xfe\xfa bad \x80\x81")
    _write(
        root, "05-类型.md", "---\ntitle: 类型\nkind: novel\nvisibility: secret\n---\nx"
    )
    _write(root, "06-指令.md", "---\ntitle: 指令\n---\n\n第一行\n{{block:nope}}\n")
    _write(root, "07-重复.md", "---\ntitle: 好的\n---\n同名\n")
    (root / "08-断链.md").symlink_to(tmp_path / "nowhere.md")
    _write(root, "09-引号.md", '---\ntitle: "未闭合的引号\n---\n')
    _write(root, "孤儿/01-x.md", "x")
    _write(root, "10-损坏.docx", b"PK\x03\x04 not really a zip")
    return root


def test_every_problem_is_reported_with_file_and_line(messy):
    """Reading collects every problem, not just the first, each with its file and
    (where there is one) line."""
    plan = read_source(messy)
    from manuals.transfer.importer import check

    check(plan, parent=None)
    found = {(p.file, p.line) for p in plan.errors}
    assert ("02-坏的头.md", 3) in found  # line without "key: value"
    assert ("03-未闭合.md", 5) in found  # front matter never closed: body line
    assert ("04-编码.md", 4) in found  # neither UTF-8 nor GBK
    assert ("05-类型.md", 3) in found and ("05-类型.md", 4) in found
    assert ("06-指令.md", 6) in found  # directive to no block, file line
    assert ("07-重复.md", 1) in found  # duplicate slug
    assert ("08-断链.md", None) in found  # unreadable
    assert ("09-引号.md", 2) in found
    assert ("孤儿/", None) in found  # a folder without its section file
    messages = " ".join(p.message for p in plan.errors)
    assert "Duplicate slug" in messages
    assert "Line 6: {{block:nope}} points to no block." in messages
    assert "not a readable zip" not in messages  # .docx in a Markdown folder
    assert len(plan.errors) >= 10
    assert any(w.file == "10-损坏.docx" for w in plan.warnings)


def test_all_or_nothing_imports_nothing_when_anything_is_wrong(messy, admin_user):
    """Without --partial one bad file stops the whole import: no section is made."""
    before = Section.objects.count()
    with pytest.raises(ImportFailed) as exc:
        apply(read_source(messy), parent=None, user=admin_user)
    assert Section.objects.count() == before
    assert len([p for p in exc.value.problems if p.is_error]) >= 10


def test_partial_imports_the_good_files_and_skips_bad_ones_whole(messy, admin_user):
    """--partial imports the readable files and skips each bad file entirely,
    with everything under it."""
    result = apply(read_source(messy), parent=None, user=admin_user, partial=True)
    assert [s.title for s in result.created] == ["好的"]
    assert not Section.objects.filter(title="孩子").exists()
    assert result.skipped == 3  # 坏的头 with its child, and 07-重复
    assert len([p for p in result.problems if p.is_error]) >= 10


def test_command_lists_problems_and_fails(messy, admin_user):
    """The command prints every problem as file:line and exits with an error."""
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_manual", str(messy), stdout=StringIO(), stderr=err)
    assert (
        "error: 02-坏的头.md:3: Front matter line is not 'key: value'."
        in err.getvalue()
    )


def test_missing_parent_imports_nothing(messy, admin_user, tree):
    """A parent that does not exist, or is in the trash, is refused up front."""
    with pytest.raises(CommandError, match="missing parent"):
        call_command(
            "import_manual", str(messy), "--parent", "999999", stdout=StringIO()
        )
    services.section_delete(section=tree["b"], user=admin_user)
    tree["b"].refresh_from_db()
    with pytest.raises(ImportFailed):
        apply(read_source(messy / "01-好的.md"), parent=tree["b"], user=admin_user)


def test_duplicate_of_an_existing_section_under_the_parent(tmp_path, admin_user, tree):
    """Importing a section whose slug its new parent already has is refused."""
    _write(tmp_path, "退货流程.md", "---\ntitle: 退货流程\n---\n")
    with pytest.raises(ImportFailed) as exc:
        apply(read_source(tmp_path / "退货流程.md"), parent=tree["a"], user=admin_user)
    assert "already exists" in exc.value.problems[0].message


def test_corrupt_docx_is_reported(tmp_path, admin_user):
    """A damaged .docx is a problem of that file; nothing is imported."""
    path = _write(tmp_path, "坏.docx", b"PK\x03\x04garbage")
    plan = read_source(path)
    assert plan.errors[0].file == "坏.docx"
    assert "not a readable Word" in plan.errors[0].message
    path = _write(tmp_path, "假.docx", "这只是文本")
    assert "not a readable Word" in read_source(path).errors[0].message


def test_unsafe_zip_paths_are_refused(tmp_path):
    """A zip entry that climbs out of the folder (../) is reported, not written."""
    import zipfile

    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../escape.md", "x")
        z.writestr("ok.md", "fine")
    plan = read_source(path)
    assert any("Unsafe path" in p.message for p in plan.errors)
    assert not (tmp_path.parent / "escape.md").exists()
    assert [n.title for n in plan.roots] == ["ok"]


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read messages in English; the interface defaults to Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
