"""Uploaded files (images): each belongs to a section or a block and is shown to
whoever may read that owner, never to anyone else (kbsite.views.media serves them).

Services write files and rows, selectors answer who may see one, a receiver removes
the file once its row is gone (a purged section or a deleted block cascades to its
media), and `media_adopt` gives files written before media had owners one.
"""

import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from .models import Block, BlockRevision, Media, Revision, Section
from .permissions import Audience, can_edit, can_read

# What browsers show and cannot run: no SVG (it carries scripts), no HTML.
IMAGE_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
# Adopted files from before this check may also be BMP (Word imports kept them).
ADOPTABLE_TYPES = {**IMAGE_TYPES, "image/bmp": "bmp"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

PUBLIC = "public"
PRIVATE = "private"


class MediaRejected(ValidationError):
    """The content is not an image we keep, or it is too big."""


def max_bytes() -> int:
    return getattr(settings, "KB_MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES)


def sniff_image(data: bytes) -> str | None:
    """The content type of an image by its first bytes, whatever its name says."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:2] == b"BM" and len(data) > 26:
        return "image/bmp"
    return None


def check_image(data: bytes) -> str:
    """The content type of `data`, or MediaRejected when it is not one we keep."""
    content_type = sniff_image(data)
    if content_type not in IMAGE_TYPES:
        raise MediaRejected(
            _("This is not a PNG, JPEG, GIF or WebP image."), code="type"
        )
    if len(data) > max_bytes():
        raise MediaRejected(
            _("The image is larger than %(size)s.")
            % {"size": filesizeformat(max_bytes())},
            code="size",
        )
    return content_type


# --- services --------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """A file written under MEDIA_ROOT that has no Media row yet."""

    name: str
    content_type: str
    size: int
    sha256: str

    @property
    def url(self) -> str:
        return default_storage.url(self.name)

    @property
    def path(self) -> Path:
        return Path(default_storage.path(self.name))


def media_store(
    *, content: bytes, filename: str, folder: str = "uploads"
) -> StoredFile:
    """Check `content` and write it as MEDIA_ROOT/<folder>/<random>/<filename>.

    The first half of `media_create`, for a caller that needs the file's URL before
    its owner exists (an import writes the section's body with it). A file without
    a row is never served.
    """
    content_type = check_image(content)
    stem = get_valid_filename(Path(filename).stem)[:80] if filename else ""
    # The extension follows the content, not the name it came with.
    safe = (stem or "image") + "." + IMAGE_TYPES[content_type]
    name = default_storage.save(
        f"{folder}/{secrets.token_hex(8)}/{safe}", ContentFile(content)
    )
    return StoredFile(
        name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def _require_edit(user, owner: Section | Block) -> None:
    if isinstance(owner, Section):
        allowed = can_edit(user, owner) and can_read(user, owner)
    else:
        allowed = (
            user.is_active
            and user.has_perm("manuals.change_block")
            and _block_readable(user, owner)
        )
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do that."))


def media_attach(*, stored: StoredFile, owner: Section | Block, user) -> Media:
    """The Media row of a stored file, owned by a section or a block `user` edits."""
    _require_edit(user, owner)
    media = Media(
        file=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        section=owner if isinstance(owner, Section) else None,
        block=owner if isinstance(owner, Block) else None,
        uploaded_by=user if user.is_authenticated else None,
    )
    media.full_clean()
    media.save()
    return media


def media_create(
    *,
    owner: Section | Block,
    content: bytes,
    filename: str,
    user,
    folder: str = "uploads",
) -> Media:
    """Upload an image (PNG, JPEG, GIF or WebP by its content) for `owner`."""
    _require_edit(user, owner)
    stored = media_store(content=content, filename=filename, folder=folder)
    try:
        with transaction.atomic():
            return media_attach(stored=stored, owner=owner, user=user)
    except BaseException:
        default_storage.delete(stored.name)
        raise


# --- selectors -------------------------------------------------------------------


def media_by_path(path: str) -> Media | None:
    """The Media row of a path under MEDIA_URL, with its owner; None for unknown or
    unsafe paths (nothing climbs out of MEDIA_ROOT, whatever the rows say)."""
    parts = path.split("/")
    if (
        not path
        or "\\" in path
        or "\x00" in path
        or any(p in ("", ".", "..") for p in parts)
    ):
        return None
    return (
        Media.objects.select_related("section", "block")
        .prefetch_related("block__groups")
        .filter(file=path)
        .first()
    )


def _block_readable(user, block: Block) -> bool:
    # The rule that decides whether a block's text shows in a rendered page: a
    # public block's picture shows in the public portal, like its text.
    return Audience.for_user(user).sees_object(block)


def media_audience(user, media: Media) -> str | None:
    """PUBLIC when anyone may see `media`, PRIVATE when only some may and `user` is
    one of them, None when `user` may not.

    The owner's read rule decides, nothing else: whoever may read the section (or
    sees the block) sees its images, including those only a draft shows yet. The
    anonymous question comes first, so a public file never looks at the session.
    """
    if media.section_id is not None:
        section = media.section
        if section.in_trash:
            return None
        ancestors = list(
            Section.objects.get_ancestors(section).prefetch_related("groups")
        )
        if can_read(AnonymousUser(), section, ancestors):
            return PUBLIC
        return PRIVATE if can_read(user, section, ancestors) else None
    if _block_readable(AnonymousUser(), media.block):
        return PUBLIC
    return PRIVATE if _block_readable(user, media.block) else None


def media_is_public(media: Media) -> bool:
    """May anyone at all see `media` (what the static export may copy)?"""
    return media_audience(AnonymousUser(), media) == PUBLIC


# --- receivers -------------------------------------------------------------------


@receiver(post_delete, sender=Media, dispatch_uid="kb_media_delete_file")
def _delete_file(sender, instance, **kwargs):
    # After commit: a rolled-back purge must still find its files.
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- adopting files from before owners ----------------------------------------


MEDIA_LINK = re.compile(r"""[^\s()<>"'\]]+""")


@dataclass
class AdoptReport:
    adopted: list[Media] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)
    unknown_type: list[str] = field(default_factory=list)


def referenced_names(body: str) -> set[str]:
    """The MEDIA_ROOT names a Markdown body points to."""
    prefix = settings.MEDIA_URL
    names = set()
    for start in (m.end() for m in re.finditer(re.escape(prefix), body)):
        link = MEDIA_LINK.match(body, start)
        if link:
            names.add(unquote(link.group(0).split("?", 1)[0].split("#", 1)[0]))
    return names


def media_adopt(*, dry_run: bool = False) -> AdoptReport:
    """Give every file under MEDIA_ROOT without a row an owner: the live section
    whose revisions pointed to it first (else the first block). Files nothing points
    to stay unserved and are listed, like files that are no image we know."""
    from .portal.models import PortalSettings

    report = AdoptReport()
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return report
    owners: dict[str, list[int]] = defaultdict(list)
    revisions = Revision.objects.order_by("pk").values_list("section_id", "body")
    for section_id, body in revisions.iterator():
        for name in referenced_names(body):
            if section_id not in owners[name]:
                owners[name].append(section_id)
    block_owners: dict[str, int] = {}
    block_revisions = BlockRevision.objects.order_by("pk").values_list(
        "block_id", "body"
    )
    for block_id, body in block_revisions.iterator():
        for name in referenced_names(body):
            block_owners.setdefault(name, block_id)
    live = set(Section.objects.filter(in_trash=False).values_list("pk", flat=True))
    known = set(Media.objects.values_list("file", flat=True))
    logo = PortalSettings.load().logo.name
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        name = file.relative_to(root).as_posix()
        if name in known or name == logo or name.startswith("."):
            continue
        candidates = owners.get(name, [])
        section_id = next((s for s in candidates if s in live), None)
        if section_id is None and candidates:
            section_id = candidates[0]
        block_id = block_owners.get(name) if section_id is None else None
        if section_id is None and block_id is None:
            report.unreferenced.append(name)
            continue
        data = file.read_bytes()
        content_type = sniff_image(data)
        if content_type not in ADOPTABLE_TYPES:
            report.unknown_type.append(name)
            continue
        media = Media(
            file=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            section_id=section_id,
            block_id=block_id,
        )
        if not dry_run:
            media.full_clean(validate_unique=False)
            media.save()
        report.adopted.append(media)
    return report
