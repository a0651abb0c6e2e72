"""The client's address behind our proxies, for everything that reads REMOTE_ADDR
(the survey's per-visitor limit and visitor hash among them)."""

from django.http import HttpResponse
from django.test import RequestFactory

from feedback.events import visitor_id
from kbsite.net import ClientAddressMiddleware


def _through(settings, *, behind: bool, forwarded: str = "", remote="10.0.0.2"):
    settings.KB_BEHIND_PROXY = behind
    settings.KB_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded, HTTP_USER_AGENT="ua"
    )
    seen = {}

    def view(req):
        seen["remote"] = req.META["REMOTE_ADDR"]
        seen["visitor"] = visitor_id(req)
        return HttpResponse()

    ClientAddressMiddleware(view)(request)
    return seen


def test_behind_a_proxy_the_client_address_is_used(settings):
    a = _through(settings, behind=True, forwarded="198.51.100.7")
    b = _through(settings, behind=True, forwarded="198.51.100.8")
    assert a["remote"] == "198.51.100.7"
    # Two readers behind the same proxy are two visitors, not one.
    assert a["visitor"] != b["visitor"]


def test_a_forged_left_entry_is_not_trusted(settings):
    seen = _through(settings, behind=True, forwarded="1.2.3.4, 198.51.100.7")
    assert seen["remote"] == "198.51.100.7"


def test_without_a_proxy_the_header_is_ignored(settings):
    seen = _through(settings, behind=False, forwarded="198.51.100.7")
    assert seen["remote"] == "10.0.0.2"
