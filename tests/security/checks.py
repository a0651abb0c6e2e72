"""Reading a response for canaries: body (streamed or not) and headers, any case."""

import re
from urllib.parse import quote

TAG = re.compile(rb"<[^>]*>")

ALLOWED_STATUSES = {200, 301, 302, 403, 404, 405}


def response_bytes(response, url: str = "") -> bytes:
    """Body and headers of a response, lower-cased (slugs carry titles lower-case).

    The requested `url` is cut out wherever the page echoes it (the login redirect's
    ?next=, the language switch): a slug in it is the requester's own input.
    """
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
        response.close()
    else:
        body = response.content
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
