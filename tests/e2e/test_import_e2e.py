"""Real-browser walk through the Word import: upload, preview the tree, confirm.

Screenshot: the import preview (tests/e2e/screenshots/import_preview.png).
"""

import pytest
from playwright.sync_api import expect

from manuals.models import Section
from tests.e2e.conftest import login, screenshot
from tests.manuals.transfer.docx_builder import build_manual

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_editor_uploads_a_docx_previews_and_imports_it(page, tree, editor, tmp_path):
    """The editor finds Import/export in the header, uploads a Word file, sees the
    three sections it would create (nothing is created yet), confirms, and lands on
    the imported manual."""
    path = build_manual(tmp_path / "员工手册.docx", tmp_path)
    login(page, "editor")
    page.locator(".kb-usernav a[href='/transfer/']").click()
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=parent]", str(tree["manual"].pk))
    page.locator("form.kb-transfer-upload button[type=submit]").click()
    expect(page.locator(".kb-plan")).to_contain_text("退款处理")
    expect(page.locator(".kb-plan")).to_contain_text("联系我们")
    assert not Section.objects.filter(title="员工手册").exists()
    screenshot(page, "import_preview")
    page.locator(".kb-transfer-actions .kb-button-primary").click()
    expect(page.locator("h1").first).to_contain_text("员工手册")
    root = Section.objects.get(title="员工手册")
    assert [c.title for c in Section.objects.get_children(root)] == [
        "退款处理",
        "联系我们",
    ]
