"""Every URL pattern, every role, every interesting object: no canary where it must
not be, and never a server error.

The URLs come from the resolver itself (tests/security/urlmatrix.py fills their
arguments), so a new view without a filler fails here by name.
"""

import pytest
from django.urls import reverse

from .checks import ALLOWED_STATUSES, leaked, response_bytes, seen
from .urlmatrix import EXTRA_STATUSES, FILLERS, all_route_keys, filler_for
from .world import ROLES

ROUTE_KEYS = all_route_keys()


def test_every_url_pattern_has_a_filler():
    """Each URL pattern has an entry in urlmatrix.FILLERS (or matches the generic
    admin rule), and every entry still names a URL pattern."""
    missing = [key for key in ROUTE_KEYS if filler_for(key) is None]
    assert not missing, (
        "URL patterns without an entry in tests/security/urlmatrix.py FILLERS "
        "(add how to fill their arguments, so the permission suite requests them): "
        + ", ".join(missing)
    )
    stale = sorted(set(FILLERS) - set(ROUTE_KEYS))
    assert not stale, "FILLERS entries naming no URL pattern: " + ", ".join(stale)


@pytest.mark.parametrize("route", ROUTE_KEYS)
def test_no_canary_leaks_on_get(route, world, clients):
    """GET (no redirects followed) as each role shows no canary the role may not
    see, in the body or the headers (Location included), and answers with one of
    200/301/302/403/404/405."""
    filler = filler_for(route)
    assert filler is not None, (
        f"URL pattern {route!r} has no entry in tests/security/urlmatrix.py FILLERS"
    )
    urls = filler(world)
    statuses = ALLOWED_STATUSES | EXTRA_STATUSES.get(route, set())
    problems = []
    for role in ROLES:
        client = clients[role]
        for url in urls:
            response = client.get(url)
            if response.status_code not in statuses:
                problems.append(f"role={role} url={url} status={response.status_code}")
            for text in leaked(world, role, response_bytes(response, url)):
                problems.append(f"role={role} url={url} shows {text}")
    assert not problems, f"{route}:\n" + "\n".join(problems)


def test_world_is_visible_to_those_allowed(world, clients):
    """The checks above are not vacuous: the canaries are really on the pages, and
    in the search index, for those who may see them."""
    s, b = world.sections, world.blocks
    search = reverse("search:results") + "?q="
    expectations = [
        (
            "agent",
            s["internal"].get_absolute_url(),
            {"internal-title", "internal-body"},
        ),
        ("agent_r", s["restricted"].get_absolute_url(), {"restricted-title"}),
        ("editor", s["draft"].get_absolute_url(), {"draft-section-title"}),
        (
            "editor",
            s["public_draft"].get_absolute_url() + "?draft=1",
            {"public-draft-body"},
        ),
        ("agent", s["public_embed"].get_absolute_url(), {"block-internal-body"}),
        ("agent_r", s["public_embed"].get_absolute_url(), {"block-restricted-body"}),
        ("editor", reverse("manuals:trash"), {"trash-internal-title"}),
        ("admin", reverse("manuals:trash"), {"trash-restricted-title"}),
        (
            "editor",
            reverse("manuals:block_edit", kwargs={"key": b["conflict"].key})
            + "?draft=restore",
            {"blockdraft-body"},
        ),
        ("agent", reverse("faq:index"), {"faq-internal-question"}),
        ("editor", reverse("faq:queue"), {"question-text"}),
        ("manager", reverse("feedback:inbox"), {"feedback-comment"}),
        ("manager", reverse("feedback:search"), {"search-query"}),
        ("agent", world.media_url, {"media-internal"}),
        ("agent", search + world.canary("internal-body").word, {"internal-title"}),
        (
            "agent_r",
            search + world.canary("restricted-body").word,
            {"restricted-title"},
        ),
        (
            "anonymous",
            reverse("portal:search") + "?q=PUBLIC-TEXT-OK",
            set(),
        ),
        (
            "admin",
            reverse("manuals:audit") + f"?section={s['restricted'].pk}",
            {"restricted-tag"},
        ),
    ]
    missing = []
    for role, url, names in expectations:
        response = clients[role].get(url)
        found = seen(world, response_bytes(response))
        if not names <= found:
            missing.append(
                f"role={role} url={url} status={response.status_code} "
                f"lacks {sorted(names - found)}"
            )
    assert not missing, "\n".join(missing)


def test_rules_are_what_the_roles_mean(world):
    """A few of the rules spelled out, so a change in the permission functions that
    would loosen them shows here too."""
    a = world.allowed
    assert "internal-title" not in a["anonymous"] | a["norole"]
    assert "internal-title" in a["agent"]
    assert "restricted-title" in a["agent_r"] and "restricted-title" in a["admin"]
    for role in ("agent", "editor", "publisher", "manager"):
        assert "restricted-title" not in a[role]
    assert "draft-section-title" in a["editor"]
    assert "draft-section-title" not in a["agent"] | a["manager"]
    assert "trash-restricted-title" not in a["editor"] | a["publisher"]
    assert "blockdraft-body" in a["editor"] and "blockdraft-body" not in a["publisher"]
    assert "feedback-comment" in a["manager"] and "feedback-comment" not in a["editor"]
    assert "review-draft-body" in a["admin"]
    assert "review-draft-body" not in a["agent_r"] | a["publisher"]
