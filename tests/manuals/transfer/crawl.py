"""Helpers: read every file of a static export (folder or zip) and check its links."""

import re
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

LINK = re.compile(r'\b(?:href|src|action)="([^"]*)"')


def export_files(out: Path) -> dict[str, bytes]:
    if out.suffix == ".zip":
        with zipfile.ZipFile(out) as z:
            return {
                name: z.read(name) for name in z.namelist() if not name.endswith("/")
            }
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file()
    }


def broken_links(files: dict[str, bytes]) -> list[str]:
    """Every relative href/src/action that does not point at a file of the export,
    and every link that would leave it through an absolute path ("/...")."""
    broken = []
    for name, data in files.items():
        if not name.endswith(".html"):
            continue
        here = PurePosixPath(name).parent
        for link in LINK.findall(data.decode()):
            parts = urlsplit(link.replace("&amp;", "&"))
            if parts.scheme in {"http", "https", "mailto", "tel"}:
                continue
            if not parts.path:
                continue  # "#anchor" or "?q=" on the same page
            if link.startswith("/"):
                broken.append(f"{name}: absolute {link}")
                continue
            target = PurePosixPath(*(here / unquote(parts.path)).parts)
            resolved = []
            for part in target.parts:
                if part == "..":
                    if resolved:
                        resolved.pop()
                    else:
                        broken.append(f"{name}: {link} leaves the export")
                elif part != ".":
                    resolved.append(part)
            if "/".join(resolved) not in files:
                broken.append(f"{name}: {link}")
    return broken
