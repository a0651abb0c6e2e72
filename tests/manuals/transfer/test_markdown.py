"""Markdown export and import: front matter, a lossless round trip, GBK input."""

import zipfile
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from manuals.models import Kind, Section, Visibility
from manuals.sections import services
from manuals.transfer import markdown_io
from manuals.transfer.importer import apply, read_source
from manuals.transfer.manual_export import export_manual
from manuals.transfer.problems import ImportProblem
from tests.factories import make_section

pytestmark = pytest.mark.django_db


def _snapshot(root):
    """Everything a round trip must keep, for a subtree, in order."""
    out = []
    for s in Section.objects.get_tree(root).select_related("head_revision"):
        out.append(
            (
                s.depth - root.depth,
                s.title,
                s.slug,
                s.kind,
                s.visibility,
                sorted(g.name for g in s.groups.all()),
                sorted(t.name for t in s.tags.all()),
                s.head_revision.body,
                s.published_revision_id == s.head_revision_id,
            )
        )
    return out


@pytest.fixture
def rich_manual(tree, admin_user):
    """A manual with every kind of thing front matter must carry."""
    group = Group.objects.create(name="一线组")
    root = make_section(
        title="导出手册",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    chapter = make_section(
        root,
        title="第一章: 开始",
        kind=Kind.CHAPTER,
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="章节导语\n",
    )
    tagged = make_section(
        chapter,
        title="退款 SOP",
        kind=Kind.SOP,
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="---\n不是 front matter 的横线\n\n  缩进行  \n\n{{block:hours}}\n\n| a | b |\n| --- | --- |\n| 1 | 2 |",
    )
    services.section_update_settings(
        section=tagged,
        user=admin_user,
        kind=Kind.SOP,
        visibility=Visibility.PUBLIC,
        owner=tagged.owner,
        review_by=tagged.review_by,
        tags=["退款", "售后: 流程"],
    )
    make_section(
        chapter,
        title="内部: 备注",
        kind=Kind.POLICY,
        visibility=Visibility.INTERNAL,
        user=admin_user,
        body="INTERNAL text\n",
    )
    make_section(
        root,
        title="限定组",
        kind=Kind.ESCALATION,
        visibility=Visibility.RESTRICTED,
        groups=[group],
        user=admin_user,
        body="true\n",
    )
    draft = make_section(root, title="草稿", user=admin_user, body="v1")
    services.section_save(
        section=draft,
        user=admin_user,
        title="草稿 v2",
        body="v2 未发布",
        base=draft.head_revision,
    )
    return root


@pytest.fixture(autouse=True)
def _hours_block(admin_user):
    from manuals.blocks.services import block_create

    block_create(
        key="hours",
        title="服务时间",
        body="9-18",
        visibility="public",
        user=admin_user,
        publish=True,
    )


def test_front_matter_round_trips_awkward_values():
    """Values that look like other types, contain colons or quotes come back equal."""
    meta = {
        "title": "true",
        "kind": "sop",
        "slug": "a: b",
        "tags": ["x, y", '"q"', "中文"],
        "order": 3,
        "published": False,
        "visibility": " padded ",
    }
    front = markdown_io.parse(markdown_io.dump(meta, "body\n"), file="f.md")
    assert front.meta == meta
    assert front.body == "body\n"


def test_markdown_round_trip_loses_nothing(rich_manual, tmp_path, admin_user):
    """Exporting a subtree (everything, drafts included) and importing it again
    recreates the same tree in the same order: titles, slugs, kinds, visibility, groups, tags, bodies (block
    directives kept) and what was published; a second export is byte-identical."""
    export_manual(tmp_path / "one", roots=[rich_manual], visibility="all", drafts=True)
    before = _snapshot(rich_manual)
    services.section_delete(section=rich_manual, user=admin_user)  # free the root slug
    result = apply(read_source(tmp_path / "one"), parent=None, user=admin_user)
    new_root = result.created[0]
    assert _snapshot(new_root) == before
    export_manual(tmp_path / "two", roots=[new_root], visibility="all", drafts=True)
    one = {
        p.relative_to(tmp_path / "one"): p.read_bytes()
        for p in (tmp_path / "one").rglob("*.md")
    }
    two = {
        p.relative_to(tmp_path / "two"): p.read_bytes()
        for p in (tmp_path / "two").rglob("*.md")
    }
    assert one == two
    assert not Section.objects.find_problems()[0]


def test_export_manual_command_writes_front_matter_and_progress(rich_manual, tmp_path):
    """The command prints [n/N] lines and writes a file per section with its
    front matter, children in a folder named like the file."""
    out = StringIO()
    call_command(
        "export_manual",
        str(tmp_path / "x"),
        "--section",
        str(rich_manual.pk),
        "--all",
        "--drafts",
        stdout=out,
    )
    assert "[1/6] 导出手册" in out.getvalue()
    files = sorted(
        p.relative_to(tmp_path / "x").as_posix() for p in (tmp_path / "x").rglob("*.md")
    )
    assert files[0] == "01-导出手册.md"
    assert "01-导出手册/01-第一章-开始/01-退款-sop.md" in files
    text = (tmp_path / "x/01-导出手册/01-第一章-开始/01-退款-sop.md").read_text()
    assert text.startswith("---\ntitle: 退款 SOP\nkind: sop\nvisibility: public\n")
    assert 'tags: ["售后: 流程", "退款"]' in text
    assert "{{block:hours}}" in text


def test_import_command_from_a_zip_under_a_parent(rich_manual, tmp_path, tree):
    """import_manual reads a zip of Markdown under --parent, in order."""
    call_command(
        "export_manual",
        str(tmp_path / "m.zip"),
        "--section",
        str(rich_manual.pk),
        "--all",
        "--drafts",
        stdout=StringIO(),
    )
    out = StringIO()
    err = StringIO()
    call_command(
        "import_manual",
        str(tmp_path / "m.zip"),
        "--parent",
        str(tree["help"].pk),
        "--partial",
        stdout=out,
        stderr=err,
    )
    assert "error" not in err.getvalue()
    # The parent is public: nothing is wider than it, restricted stays restricted.
    imported = Section.objects.get(title="导出手册", path__startswith=tree["help"].path)
    titles = [s.title for s in Section.objects.get_children(imported)]
    assert titles == ["第一章: 开始", "限定组", "草稿 v2"]
    assert "[1/6] 导出手册" in out.getvalue()


def test_gbk_markdown_is_detected_and_converted(tmp_path, admin_user):
    """A GBK-encoded Markdown file imports as the right Chinese text, with a
    warning that it was converted."""
    (tmp_path / "01-退货.md").write_bytes(
        "---\ntitle: 退货须知\nkind: sop\n---\n\n七天无理由退货，运费由买家承担。\n".encode(
            "gbk"
        )
    )
    plan = read_source(tmp_path)
    assert [w.message for w in plan.warnings] == [
        "The file was GBK-encoded; it was converted to UTF-8."
    ]
    result = apply(plan, parent=None, user=admin_user)
    section = result.created[0]
    assert section.title == "退货须知"
    assert section.head_revision.body == "七天无理由退货，运费由买家承担。\n"


def test_file_without_front_matter_takes_its_title_from_the_name(tmp_path, admin_user):
    """A plain Markdown file is an internal article named after the file."""
    (tmp_path / "03-常见话术.md").write_text("# 开场白\n\n您好！")
    result = apply(read_source(tmp_path), parent=None, user=admin_user)
    assert result.created[0].title == "常见话术"
    assert result.created[0].visibility == Visibility.INTERNAL


def test_decode_refuses_binary_and_unknown_encodings():
    """NUL bytes or bytes neither UTF-8 nor GBK give a problem with the line."""
    with pytest.raises(ImportProblem) as exc:
        markdown_io.decode(b"line one\nline two \x00 binary", file="a.md")
    assert exc.value.problem.line == 2
    with pytest.raises(ImportProblem) as exc:
        markdown_io.decode(
            "ok\nçà ñ\n".encode("latin-1") + b"\xff\xfe\xfd", file="b.md"
        )
    assert exc.value.problem.line == 2


def test_zip_with_gbk_file_names(tmp_path, admin_user):
    """Zips made by Chinese Windows store GBK names without the UTF-8 flag; the
    names come back readable."""
    path = tmp_path / "w.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("01-abcd.md", "正文".encode())
    # zipfile always flags non-ASCII names as UTF-8: put the GBK bytes in by hand.
    path.write_bytes(
        path.read_bytes().replace(b"01-abcd.md", "01-退款.md".encode("gbk"))
    )
    plan = read_source(path)
    assert [n.title for n in plan.roots] == ["退款"]


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read messages in English; the interface defaults to Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _exported(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*.md")
    }


def test_export_defaults_to_published_public_and_internal_text(rich_manual, tmp_path):
    """By default the export writes published revisions of public and internal
    sections: no restricted section, no unpublished draft text."""
    call_command("export_manual", str(tmp_path / "d"), stdout=StringIO())
    text = "\n".join(_exported(tmp_path / "d").values())
    assert "INTERNAL text" in text
    assert "限定组" not in text  # restricted
    assert "v2 未发布" not in text and "草稿 v2" not in text  # the unpublished head
    assert "title: 草稿\n" in text  # its published revision instead
    assert "published: false" not in text


def test_export_public_only(rich_manual, tmp_path):
    """--visibility public leaves internal and restricted sections out."""
    call_command(
        "export_manual",
        str(tmp_path / "p"),
        "--visibility",
        "public",
        stdout=StringIO(),
    )
    text = "\n".join(_exported(tmp_path / "p").values())
    assert "INTERNAL text" not in text and "限定组" not in text
    assert all("visibility: public" in t for t in _exported(tmp_path / "p").values())


def test_export_all_with_drafts_marks_them(rich_manual, tmp_path):
    """--all writes restricted sections; --drafts writes the latest revision,
    marked as not published."""
    out = StringIO()
    call_command("export_manual", str(tmp_path / "a"), "--all", "--drafts", stdout=out)
    files = _exported(tmp_path / "a")
    text = "\n".join(files.values())
    assert "限定组" in text
    draft = next(t for t in files.values() if "v2 未发布" in t)
    assert "published: false" in draft
    assert "drafts" in out.getvalue()


def test_export_leaves_out_never_published_sections(tmp_path, admin_user):
    """A never-published section (and its subtree) is left out unless --drafts."""
    root = make_section(title="根", kind=Kind.MANUAL, user=admin_user)
    never = make_section(root, title="从未发布", user=admin_user, publish=False)
    make_section(never, title="其下", user=admin_user)
    root.refresh_from_db()
    export_manual(tmp_path / "n", roots=[root])
    names = " ".join(_exported(tmp_path / "n"))
    assert "从未发布" not in names and "其下" not in names
    export_manual(tmp_path / "m", roots=[root], drafts=True)
    assert "从未发布" in " ".join(_exported(tmp_path / "m"))
