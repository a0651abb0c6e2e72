"""The import/export page: editors upload, preview and confirm; permissions; limits."""

import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from manuals.models import Section

from .docx_builder import build_manual

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_tree")]


def _docx(tmp_path):
    return build_manual(tmp_path / "员工手册.docx", tmp_path).read_bytes()


def test_agents_may_not_import_or_export(agent_client):
    """Readers without manuals.add_section get 403 on every transfer page."""
    assert agent_client.get("/transfer/").status_code == 403
    assert agent_client.post("/transfer/export/portal/").status_code == 403


def test_editor_uploads_previews_and_confirms_a_docx(editor_client, tmp_path, tree):
    """Upload shows the tree it would create and creates nothing; confirming
    imports it under the chosen parent."""
    before = Section.objects.count()
    response = editor_client.post(
        "/transfer/",
        {
            "file": SimpleUploadedFile("员工手册.docx", _docx(tmp_path)),
            "parent": tree["manual"].pk,
            "split_level": 2,
        },
    )
    assert response.status_code == 302
    preview = editor_client.get(response["Location"])
    html = preview.content.decode()
    assert "员工手册" in html and "退款处理" in html and "联系我们" in html
    assert "将创建 3 个章节" in html
    # Kinds and visibilities as the interface names them, not their stored values.
    assert "文章 · 内部（员工）" in html
    assert "article · internal" not in html
    assert Section.objects.count() == before
    done = editor_client.post(response["Location"], {})
    assert done.status_code == 302
    assert Section.objects.count() == before + 3
    root = Section.objects.get(title="员工手册")
    assert root.path.startswith(tree["manual"].path)


def test_preview_lists_problems_and_confirm_imports_nothing(editor_client, tree):
    """A zip with a bad file shows each problem with file and line; confirming
    without "skip" imports nothing."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("01-好.md", "---\ntitle: 好\n---\n正文")
        z.writestr("02-坏.md", "---\ntitle 坏\n---\n")
    response = editor_client.post(
        "/transfer/",
        {"file": SimpleUploadedFile("m.zip", buffer.getvalue()), "split_level": 2},
    )
    url = response["Location"]
    html = editor_client.get(url).content.decode()
    assert "02-坏.md:2" in html
    before = Section.objects.count()
    editor_client.post(url, {})
    assert Section.objects.count() == before
    editor_client.post(url, {"partial": "on"})
    assert Section.objects.count() == before + 1


def test_oversized_upload_is_refused_with_a_clear_message(editor_client, settings):
    """A file over KB_IMPORT_MAX_UPLOAD_BYTES is refused, naming both sizes."""
    settings.KB_IMPORT_MAX_UPLOAD_BYTES = 1000
    response = editor_client.post(
        "/transfer/",
        {"file": SimpleUploadedFile("big.md", b"x" * 5000), "split_level": 2},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "4.9" in html and "1000" in html


def test_someone_elses_upload_token_is_not_found(
    editor_client, client, publisher, tree, tmp_path
):
    """An upload belongs to the session that made it."""
    response = editor_client.post(
        "/transfer/",
        {"file": SimpleUploadedFile("a.md", "正文".encode()), "split_level": 2},
    )
    client.force_login(publisher)
    assert client.get(response["Location"]).status_code == 404


def test_editor_downloads_the_static_portal(editor_client, tree):
    """The export button returns a zip of the static portal."""
    response = editor_client.post("/transfer/export/portal/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    assert "index.html" in names and "search/index.js" in names


def test_markdown_download_is_for_administrators(editor_client, admin_client, tree):
    """Only administrators may download a manual (internal text) as Markdown."""
    assert (
        editor_client.post(
            "/transfer/export/manual/", {"section": tree["manual"].pk}
        ).status_code
        == 403
    )
    response = admin_client.post(
        "/transfer/export/manual/", {"section": tree["manual"].pk}
    )
    data = b"".join(response.streaming_content)
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    assert "01-客服手册.md" in names
