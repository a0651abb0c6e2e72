"""Reading a response for canaries: body (streamed, zipped or not) and headers, any
case; and a test client logged in as a role of the world."""

import io
import re
import zipfile
from urllib.parse import quote

from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client

TAG = re.compile(rb"<[^>]*>")

ALLOWED_STATUSES = {200, 301, 302, 403, 404, 405}


def response_bytes(response, url: str = "") -> bytes:
    """Body and headers of a response, lower-cased (slugs carry titles lower-case).

    The requested `url` is cut out wherever the page echoes it (the login redirect's
    ?next=, the language switch): a slug in it is the requester's own input.
    """
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
        # Close the file behind it as the test client does: without the
        # request_finished handler that would close the database connection (the
        # world's transaction) on PostgreSQL.
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    else:
        body = response.content
    if body.startswith(b"PK\x03\x04"):  # a zip download: read what it holds
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            body = b"\n".join(
                archive.read(name) + name.encode() for name in archive.namelist()
            )
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    data = (headers.encode() + b"\n\n" + body).lower()
    if url:
        for echo in {url, url.replace("&", "&amp;"), quote(url), quote(url, safe="")}:
            data = data.replace(echo.lower().encode(), b"")
    # Search highlights split a canary (<mark>CANARY</mark>-...): read the text too.
    return data + b"\n\n" + TAG.sub(b"", data)


def leaked(world, role, data: bytes) -> list[str]:
    """Texts of canaries in `data` that `role` may not see."""
    allowed = world.allowed[role]
    return [
        c.text
        for c in world.canaries
        if c.name not in allowed and c.text.lower().encode() in data
    ]


def seen(world, data: bytes) -> set[str]:
    return {c.name for c in world.canaries if c.text.lower().encode() in data}


def client_for(world, role, **kwargs) -> Client:
    """A fresh test client with the role's session (none for anonymous)."""
    client = Client(**kwargs)
    if role in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client
