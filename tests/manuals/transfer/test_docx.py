"""Word import: headings make the tree; tables, lists, emphasis, links and images
survive."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from manuals.models import Section
from manuals.rendering import render_markdown
from manuals.transfer.importer import apply, read_source

from .docx_builder import build_manual

pytestmark = pytest.mark.django_db


def test_docx_becomes_a_tree_with_tables_lists_links_and_images(tmp_path, admin_user):
    """Heading 1 names the document's section, each Heading 2 starts a child, a
    Heading 3 stays inside its section; formatting, the table, both lists, the link
    and the image (saved under MEDIA_ROOT/imports/) survive."""
    path = build_manual(tmp_path / "员工手册.docx", tmp_path)
    result = apply(read_source(path), parent=None, user=admin_user)
    root = result.created[0]
    assert root.title == "员工手册"
    children = list(Section.objects.get_children(root))
    assert [c.title for c in children] == ["退款处理", "联系我们"]
    body = children[0].head_revision.body
    assert "**主管审批**" in body and "*当天处理*" in body
    assert "[退款规则](https://example.com/refund)" in body
    assert "### 审批细节" in body
    assert "- 核实订单" in body and "2. 第二步 审批" in body
    assert "| 退款到账 | 3-5 天 |" in body
    html = str(render_markdown(body, "all").html)
    assert "<table>" in html and "<strong>主管审批</strong>" in html
    assert "<ol>" in html and "<ul>" in html
    image_url = body.split("](/media/imports/")[1].split(")")[0]
    saved = Path(settings.MEDIA_ROOT) / "imports" / image_url
    assert saved.read_bytes().startswith(b"\x89PNG")
    assert '<img alt="image" src="/media/imports/' in html or "<img" in html


def test_split_level_one_keeps_chapters_in_one_section(tmp_path, admin_user):
    """--split-level 1: only Heading 1 starts a section, so the whole document
    (with one Heading 1) is one section with its chapters as headings."""
    path = build_manual(tmp_path / "m.docx", tmp_path)
    plan = read_source(path, split_level=1)
    assert [n.title for n in plan.nodes()] == ["员工手册"]
    assert "## 退款处理" in plan.roots[0].body


def test_import_command_reads_a_folder_of_docx(tmp_path, admin_user, tree):
    """A folder of .docx files imports one section per file under --parent."""
    folder = tmp_path / "docs"
    folder.mkdir()
    build_manual(folder / "a.docx", tmp_path)
    build_manual(folder / "b.docx", tmp_path)
    out = StringIO()
    err = StringIO()
    call_command(
        "import_manual",
        str(folder),
        "--parent",
        str(tree["manual"].pk),
        "--partial",
        stdout=out,
        stderr=err,
    )
    # Two documents with the same title: the second is a duplicate slug.
    assert "Imported 3 sections, skipped 3" in out.getvalue()
    assert "b.docx: Duplicate slug 员工手册" in err.getvalue()


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read messages in English; the interface defaults to Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
