"""Every POST endpoint, every role: who may not gets 403, 404, 405 or the login page,
nothing in the database changes, and the answer shows no canary; one role that may
(the least privileged one) succeeds, so the refusals are not refusals of bad input.

Who may is asked of the project's permission functions for the target object. Each
URL pattern is either a POST endpoint in `POSTS` or listed in `NO_WRITE` (a POST to
it must change nothing, for anyone); a new pattern in neither fails by name.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from faq.models import Entry
from faq.permissions import can_answer, can_ask, can_edit_entries
from feedback.permissions import can_triage, can_view_reports
from manuals.blocks import services as block_services
from manuals.notifications.models import Notification
from manuals.people.permissions import can_change_user, can_manage_people
from manuals.permissions import (
    can_create,
    can_delete,
    can_edit,
    can_publish,
    can_read,
    can_read_block,
)
from manuals.training.models import LearningPath
from manuals.training.services import can_manage_training
from manuals.training.services import can_request as can_request_confirmations

from .checks import client_for, leaked, response_bytes, seen
from .urlmatrix import all_route_keys, filler_for
from .world import ROLES, WORLD_PATH, block_visible, readable_if_not_trashed

# --- what "nothing changed" means ---------------------------------------------------

# Tables a refused POST may still touch, and why: analytics of page views and
# searches, sessions (logging in or out is anyone's right), django-axes' record of
# login attempts.
UNWATCHED = {
    "feedback.pageview",
    "feedback.searchevent",
    "feedback.dailysectionstats",
    "feedback.dailysearchstats",
    "feedback.rollupstate",
    "sessions.session",
}
UNWATCHED_APPS = {"axes", "contenttypes"}


def watched_models():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.label_lower not in UNWATCHED
        and m._meta.app_label not in UNWATCHED_APPS
    ]


def fingerprint() -> dict[str, str]:
    """model label -> hash of all its rows (every column), for every watched table."""
    prints = {}
    for model in watched_models():
        rows = list(model._base_manager.order_by("pk").values_list())
        prints[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return prints


def changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


def rows_written() -> int:
    """How many rows this connection has inserted, updated or deleted so far: a
    cheap test of "nothing was written" before hashing every table."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT total_changes()")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_all_tables"
            )
        else:
            return -1  # unknown: always hash
        return int(cursor.fetchone()[0])


class Watch:
    """What a series of requests changed in the watched tables, request by request."""

    def __init__(self):
        self.prints = fingerprint()
        self.written = rows_written()

    def changes(self) -> list[str]:
        written = rows_written()
        if written == self.written and written != -1:
            return []
        self.written = written
        prints = fingerprint()
        diff = changed(self.prints, prints)
        self.prints = prints
        return diff


DENIED = {403, 404, 405}
LOGIN_URLS = ("/accounts/login/", "/admin/login/")


def refused(response) -> bool:
    if response.status_code in DENIED:
        return True
    return response.status_code == 302 and response["Location"].startswith(LOGIN_URLS)


# --- the POST endpoints -----------------------------------------------------------------

# The targets a section endpoint is tried on: one of each kind that matters.
POST_SECTIONS = (
    "internal",
    "restricted",
    "draft",
    "public_draft",
    "trash_internal",
    "review",
)


@dataclass
class Post:
    """How to POST to one endpoint and who may.

    `targets(w)` gives (url, target) pairs; `data(w, target)` a valid form for it;
    `may(user, target)` the rule; `writes` is False when a successful POST need not
    change the database (a preview, a download, discarding what may not exist).
    """

    targets: Callable[[Any], list]
    data: Callable[[Any, Any], dict]
    may: Callable[[Any, Any], bool]
    writes: bool = True


def sections(name, kwarg="pk", keys=POST_SECTIONS, **extra):
    def targets(w):
        return [
            (reverse(name, kwargs={kwarg: w.sections[k].pk, **extra}), w.sections[k])
            for k in keys
        ]

    return targets


def blocks(name, **extra):
    def targets(w):
        return [
            (reverse(name, kwargs={"key": b.key, **extra}), b)
            for b in w.blocks.values()
        ]

    return targets


def plain(name):
    return lambda w: [(reverse(name), None)]


def no_data(w, target):
    return {}


def section_editor(u, s) -> bool:
    return can_read(u, s) and can_edit(u, s)


def revision_form(w, s):
    return {"title": "POSTED-TITLE", "body": "POSTED-BODY", "base": s.head_revision_id}


def feedback_form(w, s):
    return {
        "helpful": "no",
        "revision": s.published_revision_id,
        "comment": "POSTED-FEEDBACK",
    }


POSTS: dict[str, Post] = {
    # sections
    "manuals:create_root": Post(
        plain("manuals:create_root"),
        lambda w, t: {
            "title": "POSTED-MANUAL",
            "kind": "manual",
            "visibility": "internal",
            "body": "x",
        },
        lambda u, t: can_create(u),
    ),
    "manuals:create_child": Post(
        sections("manuals:create_child", "parent_pk"),
        lambda w, t: {
            "title": "POSTED-CHILD",
            "kind": "article",
            "visibility": "internal",
            "body": "x",
        },
        lambda u, s: can_create(u) and can_read(u, s),
    ),
    "manuals:edit": Post(sections("manuals:edit"), revision_form, section_editor),
    "manuals:restore": Post(
        sections("manuals:restore", number=1), no_data, section_editor
    ),
    "manuals:publish": Post(
        sections("manuals:publish"),
        no_data,
        lambda u, s: section_editor(u, s) and can_publish(u),
    ),
    "manuals:settings": Post(
        sections("manuals:settings"),
        lambda w, s: {"kind": s.kind, "visibility": "public", "tags": "posted-tag"},
        section_editor,
    ),
    "manuals:move": Post(
        sections("manuals:move"),
        lambda w, s: {"target": w.sections["help"].pk, "position": "last-child"},
        section_editor,
    ),
    "manuals:delete": Post(
        sections("manuals:delete"),
        no_data,
        lambda u, s: section_editor(u, s) and can_delete(u),
    ),
    "manuals:preview": Post(
        plain("manuals:preview"),
        lambda w, t: {"body": "{{block:sec-r}} {{block:sec-int}}"},
        lambda u, t: can_edit(u) or can_create(u),
        writes=False,
    ),
    "manuals:heartbeat": Post(sections("manuals:heartbeat"), no_data, section_editor),
    "manuals:autosave": Post(
        sections("manuals:autosave"), revision_form, section_editor
    ),
    "manuals:discard_draft": Post(
        sections("manuals:discard_draft"), no_data, section_editor, writes=False
    ),
    "manuals:schedule": Post(
        sections("manuals:schedule", number=1),
        lambda w, s: {"publish_at": "2031-01-01T10:00"},
        lambda u, s: section_editor(u, s) and can_publish(u),
    ),
    "manuals:mark_reviewed": Post(
        sections("manuals:mark_reviewed"), no_data, section_editor
    ),
    # a reader's own favourites: anyone signed in, for what they may read
    "manuals:favourite": Post(
        sections("manuals:favourite"),
        lambda w, s: {"action": "add"},
        lambda u, s: u.is_authenticated and can_read(u, s),
    ),
    "manuals:review": Post(
        lambda w: [
            (reverse("manuals:review", kwargs={"review_pk": r.pk}), r)
            for r in w.reviews.values()
        ],
        lambda w, r: {"approve": "1", "comment": "POSTED-APPROVAL"},
        lambda u, r: section_editor(u, r.section) and can_publish(u),
    ),
    "manuals:trash_restore": Post(
        sections(
            "manuals:trash_restore",
            keys=("trash_internal", "trash_restricted", "internal"),
        ),
        no_data,
        lambda u, s: s.in_trash and can_delete(u) and readable_if_not_trashed(u, s),
    ),
    "manuals:trash_purge": Post(
        sections(
            "manuals:trash_purge",
            keys=("trash_internal", "trash_restricted", "internal"),
        ),
        no_data,
        lambda u, s: s.in_trash and u.is_superuser,
    ),
    # blocks
    "manuals:block_create": Post(
        plain("manuals:block_create"),
        lambda w, t: {
            "key": "posted-block",
            "title": "POSTED-BLOCK",
            "body": "x",
            "visibility": "internal",
        },
        lambda u, t: u.is_active and u.has_perm("manuals.add_block"),
    ),
    "manuals:block_edit": Post(
        blocks("manuals:block_edit"),
        lambda w, b: {"title": b.title, "body": "POSTED", "base": b.head_revision_id},
        lambda u, b: block_visible(u, b) and block_services.can_edit_block(u),
    ),
    "manuals:block_discard_draft": Post(
        blocks("manuals:block_discard_draft"),
        no_data,
        lambda u, b: block_visible(u, b) and block_services.can_edit_block(u),
        writes=False,
    ),
    "manuals:block_publish": Post(
        blocks("manuals:block_publish"),
        no_data,
        lambda u, b: block_visible(u, b) and block_services.can_publish_block(u),
    ),
    "manuals:block_restore": Post(
        blocks("manuals:block_restore", number=1),
        no_data,
        lambda u, b: block_visible(u, b) and block_services.can_edit_block(u),
    ),
    "manuals:block_delete": Post(
        blocks("manuals:block_delete"),
        no_data,
        lambda u, b: block_visible(u, b) and u.has_perm("manuals.delete_block"),
    ),
    "manuals:update_pin": Post(
        lambda w: [
            (
                reverse(
                    "manuals:update_pin",
                    kwargs={"pk": w.sections[s].pk, "key": w.blocks[b].key},
                ),
                (w.sections[s], w.blocks[b]),
            )
            for s in ("public_embed", "restricted")
            for b in ("internal", "restricted")
        ],
        no_data,
        lambda u, t: section_editor(u, t[0]) and block_visible(u, t[1]),
        writes=False,  # nothing pinned: saving changes no text
    ),
    # FAQ
    "faq:create": Post(
        plain("faq:create"),
        lambda w, t: {
            "question": "POSTED-QUESTION",
            "answer": "x",
            "order": 0,
            "visibility": "internal",
        },
        lambda u, t: can_answer(u),
    ),
    "faq:edit": Post(
        lambda w: [
            (reverse("faq:edit", kwargs={"pk": e.pk}), e) for e in w.entries.values()
        ],
        lambda w, e: {
            "question": "POSTED-EDIT",
            "answer": "x",
            "order": 0,
            "visibility": e.visibility,
            "base_question": e.question,
            "base_answer": e.answer,
        },
        lambda u, e: (
            Entry.objects.visible_to(u).filter(pk=e.pk).exists() and can_edit_entries(u)
        ),
    ),
    "faq:ask": Post(
        plain("faq:ask"),
        lambda w, t: {"text": "POSTED-ASK", "details": "x"},
        lambda u, t: can_ask(u),
    ),
    "faq:question": Post(
        lambda w: [
            (reverse("faq:question", kwargs={"pk": q.pk}), q)
            for q in w.questions.values()
        ],
        lambda w, q: {"action": "reject", "reason": "POSTED-REJECT"},
        lambda u, q: can_answer(u),
    ),
    # feedback
    "feedback:survey": Post(
        sections(
            "feedback:survey", keys=("internal", "restricted", "public_draft", "review")
        ),
        feedback_form,
        lambda u, s: can_read(u, s),
    ),
    "feedback:survey_static": Post(
        sections(
            "feedback:survey_static",
            keys=("internal", "restricted", "public_draft", "review"),
        ),
        feedback_form,
        # Whoever sends it, it speaks for an anonymous visitor.
        lambda u, s: can_read(AnonymousUser(), s),
    ),
    "feedback:detail": Post(
        lambda w: [
            (reverse("feedback:detail", kwargs={"pk": f.pk}), f)
            for f in w.feedback.values()
        ],
        lambda w, f: {"status": "dismissed", "note": "POSTED-NOTE"},
        lambda u, f: can_view_reports(u) and can_read(u, f.section) and can_triage(u),
    ),
    "feedback:gap_action": Post(
        plain("feedback:gap_action"),
        lambda w, t: {
            "kind": "zero",
            "key": "canary search query",
            "action": "dismissed",
        },
        lambda u, t: can_view_reports(u) and can_triage(u),
    ),
    # import and export
    "transfer:index": Post(
        plain("transfer:index"),
        lambda w, t: {
            "file": SimpleUploadedFile("posted.md", b"# POSTED\n\ntext\n"),
            "split_level": "2",
        },
        lambda u, t: can_create(u),
        writes=False,  # the upload waits on disk for the confirmation
    ),
    "transfer:preview": Post(
        lambda w: [(reverse("transfer:preview", kwargs={"token": "no-such"}), None)],
        no_data,
        lambda u, t: False,  # no upload of this user has that token
    ),
    "transfer:cancel": Post(
        lambda w: [(reverse("transfer:cancel", kwargs={"token": "no-such"}), None)],
        no_data,
        lambda u, t: False,
    ),
    "transfer:portal_download": Post(
        plain("transfer:portal_download"),
        no_data,
        lambda u, t: can_create(u),
        writes=False,
    ),
    "transfer:manual_download": Post(
        lambda w: [(reverse("transfer:manual_download"), w.sections["restricted"])],
        lambda w, s: {"section": s.pk},
        lambda u, s: u.is_superuser,
        writes=False,
    ),
}

POSTS.update(
    {
        # notifications: everyone signed in, about their own notifications and
        # settings; watching what they may read.
        "notifications:open": Post(
            lambda w: [
                (reverse("notifications:open", kwargs={"pk": pk}), pk)
                for pk in w.notification_ids
            ],
            no_data,
            lambda u, pk: (
                u.is_authenticated
                and Notification.objects.filter(pk=pk, recipient=u.pk).exists()
            ),
        ),
        "notifications:read_all": Post(
            plain("notifications:read_all"),
            no_data,
            lambda u, t: u.is_authenticated,
            writes=False,
        ),
        "notifications:preferences": Post(
            plain("notifications:preferences"),
            lambda w, t: {"email": "off"},
            lambda u, t: u.is_authenticated,
        ),
        "notifications:watch_section": Post(
            sections("notifications:watch_section"),
            lambda w, s: {"action": "watch"},
            lambda u, s: u.is_authenticated and can_read(u, s),
        ),
        "notifications:watch_block": Post(
            blocks("notifications:watch_block"),
            lambda w, b: {"action": "watch"},
            lambda u, b: u.is_authenticated and can_read_block(u, b),
        ),
    }
)


POSTS.update(
    {
        # training: confirming what one may read; asking for confirmations of a
        # section one owns or trains on (the world's team can read the first one).
        "training:confirm": Post(
            sections("training:confirm"),
            no_data,
            lambda u, s: u.is_authenticated and can_read(u, s),
        ),
        "training:request": Post(
            sections("training:request"),
            lambda w, s: {"team": w_team().pk, "note": "POSTED-REQUEST"},
            lambda u, s: can_request_confirmations(u, s),
        ),
        # learning paths: trainers and superusers.
        "training:paths": Post(
            plain("training:paths"),
            lambda w, t: {"name": "POSTED-PATH", "level": "newcomer"},
            lambda u, t: can_manage_training(u),
        ),
        "training:path": Post(
            lambda w: [
                (reverse("training:path", kwargs={"pk": path.pk}), path)
                for path in LearningPath.objects.filter(name=WORLD_PATH)
            ],
            lambda w, t: {"save_path": "1", "name": "POSTED-PATH", "level": "expert"},
            lambda u, t: can_manage_training(u),
        ),
    }
)


def w_team():
    from manuals.people.models import Team

    from .world import WORLD_TEAM

    return Team.objects.get(name=WORLD_TEAM)


def people_users(name):
    return lambda w: [
        (reverse(name, kwargs={"pk": w.users[r].pk}), w.users[r])
        for r in ("agent", "admin")
    ]


def people_team(name):
    def targets(w):
        from manuals.people.models import Team

        from .world import WORLD_TEAM

        team = Team.objects.get(name=WORLD_TEAM)
        return [(reverse(name, kwargs={"pk": team.pk}), team)]

    return targets


def may_manage_people(u, t) -> bool:
    return can_manage_people(u)


POSTS.update(
    {
        # people: managers and superusers; superusers' accounts for superusers.
        "people:user_create": Post(
            plain("people:user_create"),
            lambda w, t: {"username": "posted-person", "name": "POSTED"},
            may_manage_people,
        ),
        "people:user": Post(
            people_users("people:user"),
            lambda w, t: {"name": "POSTED-NAME", "email": ""},
            lambda u, t: can_change_user(u, t),
        ),
        "people:user_active": Post(
            people_users("people:user_active"),
            lambda w, t: {"active": "0"},
            lambda u, t: can_change_user(u, t),
        ),
        "people:user_password": Post(
            people_users("people:user_password"),
            no_data,
            lambda u, t: can_change_user(u, t),
        ),
        "people:team_create": Post(
            plain("people:team_create"),
            lambda w, t: {"name": "POSTED-TEAM"},
            may_manage_people,
        ),
        "people:team": Post(
            people_team("people:team"),
            lambda w, t: {"name": "POSTED-TEAM"},
            may_manage_people,
        ),
        "people:team_delete": Post(
            people_team("people:team_delete"), no_data, may_manage_people
        ),
        "people:import": Post(
            plain("people:import"),
            lambda w, t: {
                "file": SimpleUploadedFile(
                    "people.csv", b"name,email\nPOSTED,posted@example.com\n"
                )
            },
            may_manage_people,
            writes=False,  # a preview: the file waits in the session
        ),
        "people:import_apply": Post(
            plain("people:import_apply"),
            lambda w, t: {"token": "no-such"},
            may_manage_people,
            writes=False,  # no upload of this user has that token
        ),
    }
)

# Patterns whose views write nothing on POST (GET-only views, which render or answer
# 405), and the session-only ones anyone may post to (log in, log out, language).
NO_WRITE = {
    "home",
    "login",
    "logout",
    "set_language",
    "sitemap",
    "robots",
    "media",
    "search:results",
    "search:suggest",
    "search:help",
    "search:keys",
    "feedback:click",
    "feedback:dashboard",
    "feedback:inbox",
    "feedback:gaps",
    "feedback:content",
    "feedback:content_section",
    "feedback:search",
    "faq:index",
    "faq:entry",
    "faq:mine",
    "faq:queue",
    "portal:home",
    "portal:article_id",
    "portal:article",
    "portal:faq",
    "portal:faq_category",
    "portal:search",
    "portal:sitemap",
    "portal:robots",
    "manuals:section_id",
    "manuals:section",
    "manuals:history",
    "manuals:diff",
    "manuals:changes",
    "manuals:revision",
    "manuals:tree_children",
    "manuals:favourites",
    "manuals:reviews",
    "manuals:overdue",
    "manuals:audit",
    "manuals:trash",
    "manuals:blocks",
    "manuals:block_picker",
    "manuals:block",
    "manuals:block_diff",
    "notifications:index",
    "training:status",
    "training:status_csv",
    "training:mine",
    "people:index",
    "people:teams",
    "people:activity",
    # The set-password page is anyone's, as logging in is: a POST without a
    # working link changes nothing (tests/people test the link that works).
    "people:set_password",
    "people:set_password_done",
    "admin:login",
    "admin:logout",
    "<unnamed admin/(?P<url>.*)$>",
}


def is_admin_route(key: str) -> bool:
    return key.startswith(("admin:", "<unnamed admin/")) and key not in NO_WRITE


ROUTE_KEYS = all_route_keys()
ADMIN_ROUTES = [k for k in ROUTE_KEYS if is_admin_route(k)]


def fresh(world, role):
    user = world.users[role]
    return AnonymousUser() if user is None else type(user).objects.get(pk=user.pk)


def test_every_url_pattern_is_classified_for_post():
    """Each URL pattern is a POST endpoint with its rule, a pattern a POST cannot
    change anything through, or a Django admin page (superusers only)."""
    missing = [
        k
        for k in ROUTE_KEYS
        if k not in POSTS and k not in NO_WRITE and not is_admin_route(k)
    ]
    assert not missing, (
        "URL patterns neither in POSTS nor in NO_WRITE of "
        "tests/security/test_post_endpoints.py: " + ", ".join(missing)
    )
    stale = sorted((set(POSTS) | NO_WRITE) - set(ROUTE_KEYS))
    assert not stale, "entries naming no URL pattern: " + ", ".join(stale)


@pytest.mark.parametrize("route", sorted(POSTS))
def test_post_refused_and_nothing_changes(route, world, clients):
    """Each role that may not POST here is refused (403/404/405, or sent to log in)
    and the database is as it was; no answer shows a canary the role may not see.
    Then the least privileged role that may POST succeeds, and (for endpoints that
    write) the database changes: the refusals were not refusals of bad input."""
    spec = POSTS[route]
    users = {role: fresh(world, role) for role in ROLES}
    problems = []
    success = None
    watch = Watch()
    for url, target in spec.targets(world):
        for role in ROLES:
            if spec.may(users[role], target):
                success = success or (role, url, target)
                continue
            response = clients[role].post(url, spec.data(world, target))
            if not refused(response):
                problems.append(
                    f"role={role} POST {url} answered {response.status_code} "
                    f"{response.get('Location', '')}"
                )
            diff = watch.changes()
            if diff:
                problems.append(f"role={role} POST {url} changed {', '.join(diff)}")
            for text in leaked(world, role, response_bytes(response, url)):
                problems.append(f"role={role} POST {url} shows {text}")
    if success is not None:
        role, url, target = success
        response = clients[role].post(url, spec.data(world, target))
        if response.status_code not in (200, 302):
            problems.append(
                f"allowed role={role} POST {url} answered {response.status_code}"
            )
        elif spec.writes and not watch.changes():
            problems.append(f"allowed role={role} POST {url} changed nothing")
        for text in leaked(world, role, response_bytes(response, url)):
            problems.append(f"allowed role={role} POST {url} shows {text}")
    assert not problems, f"{route}:\n" + "\n".join(problems)


@pytest.mark.parametrize("route", sorted(NO_WRITE))
def test_post_to_read_only_pattern_changes_nothing(route, world, clients):
    """A POST to a page that only reads changes nothing for anyone, never fails
    with a server error and leaks nothing."""
    urls = filler_for(route)(world)[:2]
    problems = []
    watch = Watch()
    for role in ROLES:
        for url in urls:
            response = clients[role].post(url, {})
            if response.status_code >= 500:
                problems.append(f"role={role} POST {url} status={response.status_code}")
            diff = watch.changes()
            if diff:
                problems.append(f"role={role} POST {url} changed {', '.join(diff)}")
            for text in leaked(world, role, response_bytes(response, url)):
                problems.append(f"role={role} POST {url} shows {text}")
    assert not problems, f"{route}:\n" + "\n".join(problems)


def test_admin_posts_refused_to_everyone_but_superusers(world, clients):
    """Every Django admin page refuses a POST from each non-superuser role (they are
    sent to the admin's login) and the database is as it was."""
    problems = []
    watch = Watch()
    for route in ADMIN_ROUTES:
        for url in filler_for(route)(world)[:1]:
            for role in ROLES:
                if role == "admin":
                    continue
                response = clients[role].post(url, {"post": "yes"})
                if not refused(response):
                    problems.append(
                        f"role={role} POST {url} answered {response.status_code}"
                    )
                diff = watch.changes()
                if diff:
                    problems.append(f"role={role} POST {url} changed {', '.join(diff)}")
    assert not problems, "\n".join(problems)


# --- CSRF -------------------------------------------------------------------------------

CSRF_CASES = [
    ("manuals:edit", "internal"),
    ("manuals:create_child", "manual"),
    ("manuals:autosave", "internal"),
    ("manuals:delete", "internal"),
    ("manuals:trash_restore", "trash_internal"),
    ("manuals:block_edit", "block:internal"),
    ("faq:create", None),
    ("faq:ask", None),
    ("feedback:survey", "public_draft"),
]


@pytest.mark.parametrize("route,target", CSRF_CASES, ids=[c[0] for c in CSRF_CASES])
def test_post_without_csrf_token_refused(route, target, world, db):
    """With CSRF checks on (as in a browser), a logged-in editor's POST without a
    token is refused with 403 and changes nothing."""
    spec = POSTS[route]
    if target is None:
        obj = None
        url = reverse(route)
    elif target.startswith("block:"):
        obj = world.blocks[target.split(":", 1)[1]]
        url = reverse(route, kwargs={"key": obj.key})
    else:
        obj = world.sections[target]
        kwarg = "parent_pk" if route == "manuals:create_child" else "pk"
        url = reverse(route, kwargs={kwarg: obj.pk})
    role = "editor"
    assert spec.may(fresh(world, role), obj), "the case must be one the role may do"
    client = client_for(world, role, enforce_csrf_checks=True)
    watch = Watch()
    response = client.post(url, spec.data(world, obj))
    assert response.status_code == 403
    assert not watch.changes()
    # The same POST with the token goes through: the 403 was the missing token.
    client.get(reverse("home"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(url, spec.data(world, obj), headers={"X-CSRFToken": token})
    assert response.status_code in (200, 302)


def test_static_portal_export_holds_public_text_only(world, clients):
    """The static help centre an editor downloads carries no canary at all: it is
    what anonymous visitors may read, whoever exports it."""
    response = clients["editor"].post(reverse("transfer:portal_download"))
    assert response.status_code == 200
    data = response_bytes(response)
    assert b"public-text-ok" in data
    assert not leaked(world, "anonymous", data)


def test_internal_markdown_export_is_for_admins(world, clients):
    """The Markdown export of a subtree holds its text (admins only, see POSTS)."""
    section = world.sections["internal"]
    response = clients["admin"].post(
        reverse("transfer:manual_download"), {"section": section.pk}
    )
    assert response.status_code == 200
    assert "internal-body" in seen(world, response_bytes(response))
