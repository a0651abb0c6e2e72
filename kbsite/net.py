"""The client's address, taken the same way wherever it matters (login throttling).

Behind a reverse proxy every request comes from the proxy; the client is the address
the proxy appended to X-Forwarded-For. Entries left of those the proxies appended are
whatever the client sent, so they are never trusted.
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR; behind DJANGO_PROXY_COUNT proxies (DJANGO_BEHIND_PROXY=1), the
    address the outermost of them saw, counted from the right of X-Forwarded-For."""
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or None
    if not getattr(settings, "KB_BEHIND_PROXY", False):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h]
    count = max(1, getattr(settings, "KB_PROXY_COUNT", 1))
    if len(hops) < count:
        # Not through all our proxies (or a misconfigured one): the direct peer.
        return remote
    return _valid(hops[-count]) or remote


class ClientAddressMiddleware:
    """Behind our proxies, REMOTE_ADDR becomes the client's address (`client_ip`),
    so whatever reads it (the survey's rate limit and anonymous visitor hash,
    Django's own logging) sees the reader, not the proxy. Off unless
    DJANGO_BEHIND_PROXY=1."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "KB_BEHIND_PROXY", False):
            address = client_ip(request)
            if address:
                request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
