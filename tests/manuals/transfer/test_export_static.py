"""`manage.py export_portal`: a static copy of the portal with working links, public
text only, and a search index."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from manuals.media import media_create
from manuals.models import Visibility
from manuals.sections import services
from manuals.transfer.export_static import export_portal
from tests.factories import make_section
from tests.manuals.portal.conftest import assert_no_canary

from .crawl import broken_links, export_files
from .docx_builder import png_bytes

# The portal is built once for the module (module_portal in
# tests/manuals/portal/conftest.py); `portal` hands each test its own instances.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_portal")]


def test_every_link_of_the_export_resolves(portal, tmp_path):
    """Crawling every HTML file: each relative href/src points at a file of the
    export and none uses an absolute path, so the site works from file:// and any
    sub-path."""
    out = tmp_path / "site"
    report = export_portal(out, live_url="")
    files = export_files(out)
    assert report.sections == 6
    assert "index.html" in files and "search.html" in files
    assert f"a/{portal['refund_public'].pk}.html" in files
    assert f"faq/{portal['account'].pk}.html" in files
    assert "assets/portal.css" in files and "search/index.js" in files
    assert broken_links(files) == []


def test_the_export_holds_public_text_only(portal, tmp_path):
    """No internal section, internal block, internal FAQ answer or draft text is in
    any exported file (pages, search index, assets)."""
    out = tmp_path / "site"
    export_portal(out, live_url="")
    files = export_files(out)
    assert f"a/{portal['refund'].pk}.html" not in files
    for name, data in files.items():
        assert_no_canary(data.decode(errors="replace"), name)
    page = files[f"a/{portal['refund_public'].pk}.html"].decode()
    assert "退款一般 3-5 个工作日到账" in page and "PUBLIC-BLOCK" in page


def test_zip_export_has_the_same_site(portal, tmp_path):
    """Exporting to a .zip writes the same files, with links that resolve inside."""
    export_portal(tmp_path / "site", live_url="")
    export_portal(tmp_path / "site.zip", live_url="")
    folder = export_files(tmp_path / "site")
    zipped = export_files(tmp_path / "site.zip")
    assert set(folder) == set(zipped)
    assert broken_links(zipped) == []


def test_search_index_folds_traditional_chinese(portal, tmp_path):
    """The index has every public page, a folded key for Traditional text and a
    T->S table for the characters it needs."""
    export_portal(tmp_path / "site", live_url="")
    index = json.loads((tmp_path / "site/search/index.json").read_text())
    by_title = {d["t"]: d for d in index["docs"]}
    assert "訂單查詢" in by_title and "如何修改密码？" in by_title
    assert by_title["訂單查詢"]["k"].startswith("订单查询")
    assert index["t2s"]["訂"] == "订"
    assert "内部问题" not in by_title


def test_survey_posts_to_the_live_site_or_is_hidden(portal, tmp_path):
    """With a live URL the exported article's survey posts to the live site's
    feedback endpoint; without one there is no survey."""
    refund = portal["refund_public"]
    export_portal(tmp_path / "plain", live_url="")
    page = (tmp_path / f"plain/a/{refund.pk}.html").read_text()
    assert "kb-survey" not in page
    export_portal(tmp_path / "live", live_url="https://kb.example.com/")
    page = (tmp_path / f"live/a/{refund.pk}.html").read_text()
    assert (
        f'action="https://kb.example.com/feedback/survey/{refund.pk}/static/"' in page
    )


def test_export_copies_the_public_media_it_shows_and_nothing_else(
    portal, tmp_path, admin_user
):
    """The export copies exactly the images its pages show whose owner anyone may
    read. A public page showing an internal section's image, a file without a Media
    row and a missing file lose their src instead: the image is neither copied nor
    linked, and the report names them."""
    section = make_section(
        portal["help"],
        title="带图片的文章",
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    public = media_create(
        owner=section, content=png_bytes(), filename="pic.png", user=admin_user
    )
    media_create(  # public too, but no exported page shows it
        owner=section, content=png_bytes(), filename="unused.png", user=admin_user
    )
    internal = media_create(
        owner=portal["refund"],
        content=png_bytes() + b"INTERNAL-CANARY",
        filename="secret.png",
        user=admin_user,
    )
    stray = Path(settings.MEDIA_ROOT) / "imports" / "t" / "stray.png"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(png_bytes())
    saved = services.section_save(
        section=section,
        user=admin_user,
        title=section.title,
        body=(
            f"![图]({public.file.url})\n\n![内部]({internal.file.url})\n\n"
            "![野](/media/imports/t/stray.png)\n\n![丢](/media/imports/t/gone.png)"
        ),
        base=section.head_revision,
    )
    services.revision_publish(section=section, revision=saved.revision, user=admin_user)
    report = export_portal(tmp_path / "site", live_url="")
    files = export_files(tmp_path / "site")
    copied = sorted(name for name in files if name.startswith("assets/media/"))
    assert copied == ["assets/media/" + public.file.name]
    page = files[f"a/{section.pk}.html"].decode()
    assert f'src="../assets/media/{public.file.name}"' in page
    for gone in ("secret.png", "stray.png", "gone.png"):
        assert gone not in page
    assert report.withheld_media == [internal.file.url]
    assert report.missing_media == [
        "/media/imports/t/stray.png",
        "/media/imports/t/gone.png",
    ]
    assert broken_links(files) == []
    for name, data in files.items():
        assert_no_canary(data.decode(errors="replace"), name)


def test_command_shows_progress_and_refuses_a_foreign_folder(portal, tmp_path):
    """The command prints [n/N] lines and refuses to overwrite a folder that holds
    something other than an earlier export; a second export replaces the first."""
    out = StringIO()
    call_command("export_portal", str(tmp_path / "site"), stdout=out, verbosity=2)
    text = out.getvalue()
    assert "[1/6] 帮助中心" in text and "[6/6] 发票说明" in text
    call_command("export_portal", str(tmp_path / "site"), stdout=StringIO())
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(CommandError):
        call_command("export_portal", str(foreign), stdout=StringIO())
    assert (foreign / "notes.txt").exists()


def test_unpublished_and_trashed_sections_are_not_exported(
    portal, tmp_path, admin_user
):
    """A section moved to the trash disappears from the export with its subtree."""
    services.section_delete(section=portal["shipping"], user=admin_user)
    export_portal(tmp_path / "site", live_url="")
    files = export_files(tmp_path / "site")
    assert f"a/{portal['refund_public'].pk}.html" not in files
    assert broken_links(files) == []


def test_export_speaks_the_site_language_whatever_is_active(portal, tmp_path):
    """The static site is written in the site's default language (Chinese), even when
    the command runs in a thread where English happens to be active."""
    from django.utils import translation

    with translation.override("en"):
        export_portal(tmp_path / "site", live_url="")
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-hans">' in home
    assert "有什么可以帮您" in home
