"""Every URL pattern of the site, and how to fill its arguments from the world.

`FILLERS` maps each route name (namespaced, e.g. "manuals:edit") to a function that
returns the concrete URLs to request for that pattern, one per interesting object of
the world (every kind of section, block, revision, review...). A URL pattern without an
entry fails the suite by name: a new view cannot go unchecked.

The Django admin is covered by one generic rule per kind of admin view (index, app
list, and each registered model's changelist, add and change pages): it is for
superusers, and the check there is that nobody else gets in.
"""

import re

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

NO_TOKEN = "no-such-upload-token"


def iter_patterns(resolver=None, prefix="", namespace=""):
    """(route key, route string, pattern) for every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = (
                    f"{namespace}:{pattern.namespace}"
                    if namespace
                    else pattern.namespace
                )
            yield from iter_patterns(pattern, route, ns)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = f"<unnamed {route}>"
            yield key, route, pattern


def all_route_keys() -> list[str]:
    seen = []
    for key, _route, _pattern in iter_patterns():
        if key not in seen:
            seen.append(key)
    return seen


# --- helpers ---------------------------------------------------------------------------


def _q(url: str, **params) -> str:
    return url + "?" + urlencode(params, doseq=True)


def _sections(w):
    return list(w.sections.values())


def per_section(name, kwarg="pk", query=None, query_on=("internal", "restricted")):
    """The URL for every section; with `query`, also for the sections `query_on`."""

    def fill(w):
        urls = [reverse(name, kwargs={kwarg: s.pk}) for s in _sections(w)]
        if query:
            urls += [
                _q(reverse(name, kwargs={kwarg: w.sections[k].pk}), **query)
                for k in query_on
            ]
        return urls

    return fill


def per_revision(name):
    def fill(w):
        return [
            reverse(name, kwargs={"pk": s.pk, "number": n})
            for s in _sections(w)
            for n in s.revisions.values_list("number", flat=True)
        ]

    return fill


def per_block(name):
    return lambda w: [reverse(name, kwargs={"key": b.key}) for b in w.blocks.values()]


def per_block_revision(name):
    def fill(w):
        return [
            reverse(name, kwargs={"key": b.key, "number": n})
            for b in w.blocks.values()
            for n in b.revisions.values_list("number", flat=True)
        ]

    return fill


def plain(name, *queries):
    def fill(w):
        url = reverse(name)
        return [url] + [_q(url, **q) for q in queries]

    return fill


def searches(name):
    """The page itself, a search matching every canary (each page of results), and
    one for the word of each title and question."""

    def fill(w):
        url = reverse(name)
        return [
            url,
            *(_q(url, q="canary", page=n) for n in (1, 2, 3)),
            *(
                _q(url, q=c.word)
                for c in w.canaries
                if c.name.endswith(("-title", "-question", "-text", "-tag"))
            ),
        ]

    return fill


def section_detail(w):
    urls = []
    for s in _sections(w):
        base = reverse("manuals:section", kwargs={"pk": s.pk, "slug": s.slug or "x"})
        urls += [base, _q(base, draft=1)]
    return urls


def section_by_id(w):
    urls = []
    for s in _sections(w):
        base = reverse("manuals:section_id", kwargs={"pk": s.pk})
        urls += [base, _q(base, draft=1)]
    return urls


def section_diff(w):
    urls = []
    for s in _sections(w):
        numbers = sorted(s.revisions.values_list("number", flat=True))
        urls.append(
            _q(
                reverse("manuals:diff", kwargs={"pk": s.pk}),
                a=numbers[0],
                b=numbers[-1],
            )
        )
    return urls


def block_diff(w):
    urls = []
    for b in w.blocks.values():
        numbers = sorted(b.revisions.values_list("number", flat=True))
        urls.append(
            _q(
                reverse("manuals:block_diff", kwargs={"key": b.key}),
                a=numbers[0],
                b=numbers[-1],
            )
        )
    return urls


def update_pin(w):
    return [
        reverse("manuals:update_pin", kwargs={"pk": w.sections[s].pk, "key": b.key})
        for s in ("public_embed", "internal", "restricted")
        for b in w.blocks.values()
    ]


def audit_log(w):
    url = reverse("manuals:audit")
    return [url, _q(url, page=2), *(_q(url, section=s.pk) for s in _sections(w))]


def trash_item(name):
    def fill(w):
        return [
            reverse(name, kwargs={"pk": w.sections[k].pk})
            for k in ("trash_internal", "trash_restricted", "internal")
        ]

    return fill


def per_entry(name):
    return lambda w: [reverse(name, kwargs={"pk": e.pk}) for e in w.entries.values()]


def per_question(name):
    return lambda w: [reverse(name, kwargs={"pk": q.pk}) for q in w.questions.values()]


def per_feedback(name):
    return lambda w: [reverse(name, kwargs={"pk": f.pk}) for f in w.feedback.values()]


def faq_ask(w):
    url = reverse("faq:ask")
    return [url, *(_q(url, section=s.pk) for s in _sections(w))]


def search_click(w):
    url = reverse("feedback:click")
    return [_q(url, section=s.pk, q="canary") for s in _sections(w)] + [
        _q(url, faq=e.pk, q="canary") for e in w.entries.values()
    ]


def portal_article(w):
    return [
        reverse("portal:article", kwargs={"pk": s.pk, "slug": s.slug or "x"})
        for s in _sections(w)
    ]


def portal_faq_category(w):
    return [
        reverse("portal:faq_category", kwargs={"key": key})
        for key in (str(w.category.pk), "other")
    ]


def per_token(name):
    return lambda w: [reverse(name, kwargs={"token": NO_TOKEN})]


def people_user(name):
    """An agent's account (managers may change it) and an administrator's (only
    superusers may)."""
    return lambda w: [
        reverse(name, kwargs={"pk": w.users[r].pk}) for r in ("agent", "admin")
    ]


def people_team(name):
    def fill(w):
        from manuals.people.models import Team

        from .world import WORLD_TEAM

        return [reverse(name, kwargs={"pk": Team.objects.get(name=WORLD_TEAM).pk})]

    return fill


def set_password(w):
    """A link that works (the role-less user's) and one that does not."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = type(w.users["norole"]).objects.get(pk=w.users["norole"].pk)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return [
        reverse(
            "people:set_password",
            kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
        ),
        reverse("people:set_password", kwargs={"uidb64": uid, "token": "no-such"}),
    ]


def media(w):
    return [w.media_url, w.media_url.rsplit("/", 1)[0] + "/missing.png"]


FILLERS = {
    # kbsite
    "home": plain("home"),
    "login": plain("login"),
    "logout": plain("logout"),
    "set_language": plain("set_language"),
    "sitemap": plain("sitemap"),
    "robots": plain("robots"),
    "media": media,
    # search
    "search:results": searches("search:results"),
    "search:suggest": searches("search:suggest"),
    "search:help": plain("search:help"),
    "search:keys": plain("search:keys"),
    # feedback
    "feedback:survey": per_section("feedback:survey"),
    "feedback:survey_static": per_section("feedback:survey_static"),
    "feedback:click": search_click,
    "feedback:dashboard": plain("feedback:dashboard"),
    "feedback:inbox": plain("feedback:inbox", {"csv": "feedback"}),
    "feedback:detail": per_feedback("feedback:detail"),
    "feedback:gaps": plain("feedback:gaps", {"status": "all"}, {"csv": "gaps"}),
    "feedback:gap_action": plain("feedback:gap_action"),
    "feedback:content": plain(
        "feedback:content",
        {"csv": "most-viewed"},
        {"csv": "least-viewed"},
        {"csv": "stale"},
    ),
    "feedback:content_section": per_section(
        "feedback:content_section", query={"csv": "section-daily"}
    ),
    "feedback:search": plain(
        "feedback:search", {"csv": "top-queries"}, {"csv": "search-daily"}
    ),
    # faq
    "faq:index": plain("faq:index"),
    "faq:create": plain("faq:create"),
    "faq:entry": per_entry("faq:entry"),
    "faq:edit": per_entry("faq:edit"),
    "faq:ask": faq_ask,
    "faq:mine": plain("faq:mine"),
    "faq:queue": plain("faq:queue"),
    "faq:question": per_question("faq:question"),
    # portal
    "portal:home": plain("portal:home"),
    "portal:article_id": per_section("portal:article_id"),
    "portal:article": portal_article,
    "portal:faq": plain("portal:faq"),
    "portal:faq_category": portal_faq_category,
    "portal:search": searches("portal:search"),
    "portal:sitemap": plain("portal:sitemap"),
    "portal:robots": plain("portal:robots"),
    # transfer
    "transfer:index": plain("transfer:index"),
    "transfer:preview": per_token("transfer:preview"),
    "transfer:cancel": per_token("transfer:cancel"),
    "transfer:portal_download": plain("transfer:portal_download"),
    "transfer:manual_download": plain("transfer:manual_download"),
    # manuals
    "manuals:section_id": section_by_id,
    "manuals:section": section_detail,
    "manuals:create_root": plain("manuals:create_root"),
    "manuals:create_child": per_section("manuals:create_child", "parent_pk"),
    "manuals:edit": per_section(
        "manuals:edit", query={"draft": "restore"}, query_on=("internal", "review")
    ),
    "manuals:history": per_section("manuals:history"),
    "manuals:diff": section_diff,
    "manuals:changes": lambda w: [
        reverse("manuals:changes", kwargs={"pk": s.pk}) + f"?since={n}"
        for s in w.sections.values()
        for n in (1, 2)
    ],
    "manuals:revision": per_revision("manuals:revision"),
    "manuals:restore": per_revision("manuals:restore"),
    "manuals:publish": per_section("manuals:publish"),
    "manuals:settings": per_section("manuals:settings"),
    "manuals:move": per_section("manuals:move"),
    "manuals:delete": per_section("manuals:delete"),
    "manuals:tree_children": per_section("manuals:tree_children"),
    "manuals:favourite": per_section("manuals:favourite"),
    "manuals:favourites": plain("manuals:favourites"),
    "manuals:preview": plain("manuals:preview"),
    "manuals:heartbeat": per_section("manuals:heartbeat"),
    "manuals:autosave": per_section("manuals:autosave"),
    "manuals:discard_draft": per_section("manuals:discard_draft"),
    "manuals:schedule": per_revision("manuals:schedule"),
    "manuals:mark_reviewed": per_section("manuals:mark_reviewed"),
    "manuals:reviews": plain("manuals:reviews"),
    "manuals:review": lambda w: [
        reverse("manuals:review", kwargs={"review_pk": r.pk})
        for r in w.reviews.values()
    ],
    "manuals:overdue": plain("manuals:overdue", {"all": "1"}),
    "manuals:audit": audit_log,
    "manuals:trash": plain("manuals:trash"),
    "manuals:trash_restore": trash_item("manuals:trash_restore"),
    "manuals:trash_purge": trash_item("manuals:trash_purge"),
    "manuals:blocks": plain("manuals:blocks", {"q": "kq"}),
    "manuals:block_create": plain("manuals:block_create"),
    "manuals:block_picker": plain("manuals:block_picker", {"q": "kq"}, {"q": "sec"}),
    "manuals:block": per_block("manuals:block"),
    "manuals:block_edit": lambda w: [
        u + q
        for u in per_block("manuals:block_edit")(w)
        for q in ("", "?draft=restore")
    ],
    "manuals:block_discard_draft": per_block("manuals:block_discard_draft"),
    "manuals:block_publish": per_block("manuals:block_publish"),
    "manuals:block_diff": block_diff,
    "manuals:block_restore": per_block_revision("manuals:block_restore"),
    "manuals:block_delete": per_block("manuals:block_delete"),
    "manuals:update_pin": update_pin,
    # people
    "people:index": plain(
        "people:index", {"q": "sec"}, {"status": "all", "role": "agent"}
    ),
    "people:user_create": plain("people:user_create"),
    "people:user": people_user("people:user"),
    "people:user_active": people_user("people:user_active"),
    "people:user_password": people_user("people:user_password"),
    "people:teams": plain("people:teams"),
    "people:team_create": plain("people:team_create"),
    "people:team": people_team("people:team"),
    "people:team_delete": people_team("people:team_delete"),
    "people:import": plain("people:import"),
    "people:import_apply": plain("people:import_apply"),
    "people:activity": plain("people:activity"),
    "people:set_password": set_password,
    "people:set_password_done": plain("people:set_password_done"),
    # notifications
    "notifications:index": plain("notifications:index", {"unread": "1"}),
    "notifications:open": lambda w: [
        reverse("notifications:open", kwargs={"pk": pk}) for pk in w.notification_ids
    ],
    "notifications:read_all": plain("notifications:read_all"),
    "notifications:preferences": plain("notifications:preferences"),
    "notifications:watch_section": per_section("notifications:watch_section"),
    "notifications:watch_block": per_block("notifications:watch_block"),
    # training
    "training:confirm": per_section("training:confirm"),
    "training:request": per_section("training:request"),
    "training:status": per_section("training:status"),
    "training:status_csv": per_section("training:status_csv"),
    "training:mine": plain("training:mine"),
    "training:paths": plain("training:paths"),
    "training:path": lambda w: [
        reverse("training:path", kwargs={"pk": pk}) for pk in _world_path_ids()
    ],
}


def _world_path_ids():
    from manuals.training.models import LearningPath

    from .world import WORLD_PATH

    return list(
        LearningPath.objects.filter(name=WORLD_PATH).values_list("pk", flat=True)
    )


# --- the Django admin -----------------------------------------------------------------

ADMIN_MODEL_VIEW = re.compile(
    r"^admin:(?P<app>\w+?)_(?P<model>[a-z0-9]+)_(?P<view>\w+)$"
)
ADMIN_PLAIN = {
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:jsi18n",
    "admin:autocomplete",
    "admin:javascript-catalog",
}
# Confirmation pages and history of every model add nothing the change page does not
# show; the generic rule keeps them to one object.
ADMIN_OBJECT_VIEWS = {"change", "delete", "history"}


def _admin_model(app_label, model_name):
    for model in admin.site._registry:
        if model._meta.app_label == app_label and model._meta.model_name == model_name:
            return model
    return None


ADMIN_UNNAMED = re.compile(
    r"^<unnamed admin/(?P<app>\w+)/(?P<model>[a-z0-9]+)/(?P<rest>.*)>$"
)


def _one_object(model, make_url):
    def fill(w):
        obj = model._default_manager.order_by("-pk").first()
        return [] if obj is None else [make_url(obj)]

    return fill


def _section_admin_extra(rest):
    """treebeard's own admin URLs (moving nodes, lazy children)."""
    if rest == "move/":
        return lambda w: ["/admin/manuals/section/move/"]
    if rest == "children/<str:parent_id>/":
        return lambda w: [
            f"/admin/manuals/section/children/{w.sections[k].pk}/"
            for k in ("manual", "restricted")
        ]
    return None


def admin_filler(key: str):
    """The generic filler of an admin route, or None when the route is unknown."""
    if key in ADMIN_PLAIN:
        return plain(key)
    if key == "<unnamed admin/(?P<url>.*)$>":  # the admin's catch-all
        return lambda w: ["/admin/no-such-page/"]
    if key == "admin:app_list":
        return lambda w: [
            reverse(key, kwargs={"app_label": label})
            for label in sorted({m._meta.app_label for m in admin.site._registry})
        ]
    if key == "admin:view_on_site":

        def view_on_site(w):
            from .world import content_type_id

            model = type(w.sections["restricted"])
            return [
                reverse(
                    key,
                    kwargs={
                        "content_type_id": content_type_id(model),
                        "object_id": w.sections[name].pk,
                    },
                )
                for name in ("restricted", "draft")
            ]

        return view_on_site
    if key == "admin:auth_user_password_change":
        return lambda w: [reverse(key, args=[w.users["agent_r"].pk])]
    unnamed = ADMIN_UNNAMED.match(key)
    if unnamed:
        model = _admin_model(unnamed["app"], unnamed["model"])
        if model is None:
            return None
        if unnamed["rest"] == "<path:object_id>/":  # redirects to the change page
            prefix = f"/admin/{unnamed['app']}/{unnamed['model']}/"
            return _one_object(model, lambda obj: f"{prefix}{obj.pk}/")
        if unnamed["app"] == "manuals" and unnamed["model"] == "section":
            return _section_admin_extra(unnamed["rest"])
        return None
    match = ADMIN_MODEL_VIEW.match(key)
    if not match:
        return None
    model = _admin_model(match["app"], match["model"])
    if model is None:
        return None
    view = match["view"]
    if view in ("changelist", "add"):
        return plain(key)
    if view in ADMIN_OBJECT_VIEWS:
        return _one_object(model, lambda obj: reverse(key, args=[obj.pk]))
    return None


# Answers other than 200/301/302/403/404/405 that a route may give a GET, and why.
EXTRA_STATUSES = {
    # treebeard's move view (superusers only) answers a GET without its form with 400.
    "<unnamed admin/manuals/section/move/>": {400},
}


def filler_for(key: str):
    if key.startswith(("admin:", "<unnamed admin/")):
        return admin_filler(key)
    return FILLERS.get(key)
