"""Uploaded media is served with its owner's read rule: canary images in sections
and blocks of every visibility, requested by every kind of reader."""

import importlib
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import translation

from manuals.blocks.services import block_create, block_delete
from manuals.media import MediaRejected, media_adopt, media_by_path, media_create
from manuals.models import Media, Visibility
from manuals.portal.models import PortalSettings
from manuals.sections import services
from manuals.transfer.importer import apply, read_source
from tests.factories import make_section, make_user
from tests.manuals.transfer.docx_builder import build_manual, png_bytes

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_tree")]

READERS = ["anonymous", "nobody", "agent", "agent_in_group", "editor", "admin"]
# Who gets each canary (everyone else gets 404, not 403: nothing says it exists).
SEES = {
    "public": set(READERS),
    "internal": {"agent", "agent_in_group", "editor", "admin"},
    "restricted": {"agent_in_group", "admin"},
    "block_internal": {"agent", "agent_in_group", "editor", "admin"},
    "block_public": set(READERS),
    "trashed": set(),
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def team(db):
    return Group.objects.create(name="team-x")


@pytest.fixture
def readers(admin_user, agent, editor, team):
    in_group = make_user("agent", username="agent-in-group")
    in_group.groups.add(team)
    return {
        "anonymous": None,
        "nobody": make_user(username="nobody"),
        "agent": agent,
        "agent_in_group": in_group,
        "editor": editor,
        "admin": admin_user,
    }


def _image(owner, user, name):
    # A distinct image per canary, so a mix-up shows in the bytes.
    content = png_bytes(rgb=(len(name), 7, 7)) + name.encode()
    return media_create(owner=owner, content=content, filename=name, user=user)


@pytest.fixture
def canaries(tree, admin_user, team):
    restricted = make_section(
        tree["a"],
        title="小组专用",
        visibility=Visibility.RESTRICTED,
        groups=[team],
        user=admin_user,
    )
    trashed = make_section(tree["manual"], title="旧流程", user=admin_user)
    internal_block = block_create(
        key="internal-pic",
        title="内部图",
        body="BLOCK",
        visibility=Visibility.INTERNAL,
        user=admin_user,
        publish=True,
    )
    public_block = block_create(
        key="public-pic",
        title="公开图",
        body="BLOCK",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        publish=True,
    )
    owners = {
        "public": tree["public_faq"],
        "internal": tree["refund"],
        "restricted": restricted,
        "block_internal": internal_block,
        "block_public": public_block,
        "trashed": trashed,
    }
    media = {name: _image(owner, admin_user, name) for name, owner in owners.items()}
    services.section_delete(section=trashed, user=admin_user)
    return media


def _get(client, user, media):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(media.file.url)


@pytest.mark.parametrize("canary", list(SEES))
def test_each_reader_gets_exactly_what_the_owner_lets_them_read(
    client, readers, canaries, canary
):
    """Every reader gets the image when they may read its owner (section or block),
    and 404 otherwise; a trashed section's image is served to no one, not even an
    admin. Public images are cacheable by anyone; the others are private and vary
    by cookie."""
    media = canaries[canary]
    for reader, user in readers.items():
        response = _get(client, user, media)
        if reader not in SEES[canary]:
            assert response.status_code == 404, (canary, reader)
            continue
        assert response.status_code == 200, (canary, reader)
        assert b"".join(response.streaming_content) == media.file.open("rb").read()
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        vary = response.get("Vary", "")
        if canary.endswith("public"):
            assert response["Cache-Control"] == "public, max-age=600", reader
            assert "Cookie" not in vary, reader
        else:
            assert response["Cache-Control"] == "private", reader
            assert "Cookie" in vary, reader


def test_image_only_a_draft_shows_follows_the_section(client, tree, admin_user):
    """The rule is the owner's read check, not where the image is used: an image
    added to a public section in an unpublished draft is already public (as in
    BookStack). Readers of the section may see its images."""
    section = tree["public_faq"]
    media = _image(section, admin_user, "draft.png")
    services.section_save(
        section=section,
        user=admin_user,
        title=section.title,
        body=f"![新图]({media.file.url})",
        base=section.head_revision,
    )
    assert client.get(media.file.url).status_code == 200


def test_unknown_paths_files_without_a_row_and_traversal_are_404(
    client, admin_user, media_root, canaries
):
    """Only files with a Media row are served: a file on disk without one, a path
    that climbs out of MEDIA_ROOT (even if a row claimed it) and a folder are 404."""
    stray = media_root / "imports" / "3f9c2a7b1d0e" / "image1.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(png_bytes())
    client.force_login(admin_user)
    assert client.get("/media/imports/3f9c2a7b1d0e/image1.png").status_code == 404
    assert client.get("/media/imports/").status_code == 404
    assert client.get("/media/../kb.sqlite3").status_code in (400, 404)
    assert client.get("/media/imports/%2e%2e/%2e%2e/kb.sqlite3").status_code == 404
    Media.objects.filter(pk=canaries["public"].pk).update(file="../kb.sqlite3")
    assert client.get("/media/../kb.sqlite3").status_code in (400, 404)
    for unsafe in ("../kb.sqlite3", "/etc/passwd", "a\\..\\b", "a//b", "./a", ""):
        assert media_by_path(unsafe) is None, unsafe
    assert client.post(canaries["internal"].file.url).status_code == 405


def test_conditional_request_gets_304_with_the_same_cache_rule(client, canaries):
    """The ETag is the file's SHA-256: a browser revalidating gets 304, with the
    cache headers of a full answer."""
    media = canaries["public"]
    first = client.get(media.file.url)
    assert first["ETag"] == f'"{media.sha256}"'
    again = client.get(media.file.url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=600"
    # The read check comes first: revalidating tells no outsider the file exists.
    secret = client.get(canaries["internal"].file.url, headers={"if-none-match": "*"})
    assert secret.status_code == 404


def test_media_create_checks_the_content_the_size_and_the_user(
    settings, tree, admin_user, agent
):
    """The type comes from the content (a PNG called .html is stored as .png; SVG
    and HTML are refused whatever their name), big files are refused, and only
    those who may edit the owner upload."""
    media = media_create(
        owner=tree["refund"],
        content=png_bytes(),
        filename="../../evil name.html",
        user=admin_user,
    )
    assert media.file.name.startswith("uploads/")
    assert media.file.name.endswith("/evil_name.png")
    assert media.content_type == "image/png" and media.section == tree["refund"]
    assert media.size == len(png_bytes()) and media.uploaded_by == admin_user
    for content in (b"<svg onload=alert(1)></svg>", b"<html>", b"GIF8 almost"):
        with pytest.raises(MediaRejected):
            media_create(
                owner=tree["refund"], content=content, filename="a.png", user=admin_user
            )
    settings.KB_MEDIA_MAX_BYTES = 10
    with pytest.raises(MediaRejected):
        media_create(
            owner=tree["refund"], content=png_bytes(), filename="a", user=admin_user
        )
    settings.KB_MEDIA_MAX_BYTES = 10_000
    with pytest.raises(PermissionDenied):
        media_create(
            owner=tree["refund"], content=png_bytes(), filename="a", user=agent
        )
    assert Media.objects.count() == 1


def test_purge_and_block_deletion_delete_the_files(
    tree, admin_user, django_capture_on_commit_callbacks
):
    """Purging a trashed section removes its media rows and, once committed, the
    files; deleting a block does the same for the block's."""
    old = make_section(tree["manual"], title="旧流程", user=admin_user)
    child = make_section(old, title="旧流程细节", user=admin_user)
    block = block_create(
        key="old-pic",
        title="旧图",
        body="x",
        visibility=Visibility.INTERNAL,
        user=admin_user,
    )
    files = [
        Path(_image(owner, admin_user, name).file.path)
        for owner, name in [(old, "a"), (child, "b"), (block, "c")]
    ]
    kept = Path(_image(tree["refund"], admin_user, "kept").file.path)
    services.section_delete(section=old, user=admin_user)
    assert all(f.exists() for f in files)  # the trash keeps them for a restore
    with django_capture_on_commit_callbacks(execute=True):
        services.section_purge(section=old, user=admin_user)
    assert not files[0].exists() and not files[1].exists() and files[2].exists()
    with django_capture_on_commit_callbacks(execute=True):
        block_delete(block=block, user=admin_user)
    assert not files[2].exists() and kept.exists()
    assert list(Media.objects.values_list("section", flat=True)) == [tree["refund"].pk]


def test_docx_import_makes_media_owned_by_the_section_that_shows_them(
    client, tmp_path, admin_user, agent
):
    """A Word file's image becomes a Media row of the section it sits in (an
    internal one here): agents see it, anonymous visitors get 404."""
    path = build_manual(tmp_path / "员工手册.docx", tmp_path)
    result = apply(read_source(path), parent=None, user=admin_user)
    section = next(s for s in result.created if s.title == "退款处理")
    media = Media.objects.get()
    assert media.section == section and media.content_type == "image/png"
    assert media.file.url in section.head_revision.body
    assert media.file.name.startswith("imports/")
    assert client.get(media.file.url).status_code == 404
    client.force_login(agent)
    assert client.get(media.file.url).status_code == 200


def test_docx_images_of_other_kinds_are_skipped_by_their_content(tmp_path):
    """An image Word declares as PNG but that is something else is skipped with a
    warning, like a BMP: the check is the content."""
    import docx

    bmp = b"BM" + (70).to_bytes(4, "little") + b"\0\0\0\0" + (54).to_bytes(4, "little")
    bmp += (40).to_bytes(4, "little") + (2).to_bytes(4, "little") * 2
    bmp += (1).to_bytes(2, "little") + (24).to_bytes(2, "little") + b"\0" * 24
    bmp += b"\x00\x00\xff" * 4 + b"\0\0\0\0"
    (tmp_path / "pic.bmp").write_bytes(bmp)
    document = docx.Document()
    document.add_heading("图片", level=1)
    document.add_picture(str(tmp_path / "pic.bmp"))
    document.save(str(tmp_path / "bmp.docx"))
    with translation.override("en"):
        plan = read_source(tmp_path / "bmp.docx")
    assert plan.roots[0].images == []
    assert any("Image skipped" in w.message for w in plan.warnings)
    assert "image" in plan.roots[0].body.lower()


def test_portal_logo_is_public_without_a_row(client, media_root):
    """The portal's logo (uploaded in the admin) is on every public page: served to
    anyone, with the type its content has."""
    settings_row = PortalSettings(site_name="帮助")
    settings_row.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    response = client.get(settings_row.logo.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("public")


def _old_import(media_root, tree, admin_user, name="imports/0ld0ld0ld0ld/image1.png"):
    """A file written by the import before media had owners, and its section."""
    (media_root / name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / name).write_bytes(png_bytes())
    section = make_section(
        tree["a"], title="旧导入", body=f"![图](/media/{name})", user=admin_user
    )
    return name, section


def test_media_adopt_gives_old_files_the_section_that_shows_them(
    client, media_root, tree, admin_user
):
    """`manage.py media_adopt` gives a file the section whose revisions point to
    it; a file nothing points to stays unserved and is listed."""
    name, section = _old_import(media_root, tree, admin_user)
    (media_root / "imports" / "stray.png").write_bytes(png_bytes())
    report = media_adopt(dry_run=True)
    assert [m.file.name for m in report.adopted] == [name]
    assert report.unreferenced == ["imports/stray.png"]
    assert not Media.objects.exists()
    out, err = StringIO(), StringIO()
    call_command("media_adopt", stdout=out, stderr=err)
    assert f"{name} -> section {section.pk}" in out.getvalue()
    assert "imports/stray.png" in err.getvalue()
    media = Media.objects.get()
    assert media.section == section and media.content_type == "image/png"
    client.force_login(admin_user)
    assert client.get("/media/" + name).status_code == 200
    assert media_adopt().adopted == []  # idempotent


def test_migration_adopts_existing_files(media_root, tree, admin_user):
    """The migration that adds Media adopts what the import wrote before it, the
    same way, and skips what it cannot read without failing."""
    name, section = _old_import(media_root, tree, admin_user)
    make_section(
        tree["a"], title="坏链接", body="![x](/media/imports/gone.png)", user=admin_user
    )
    migration = importlib.import_module("manuals.migrations.0010_media")
    migration.adopt_existing_files(apps, None)
    assert list(Media.objects.values_list("file", "section")) == [(name, section.pk)]
