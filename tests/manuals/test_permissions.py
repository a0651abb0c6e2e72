"""Who may see and do what: every view for every role, visibility, drafts, CSRF."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from manuals import permissions
from manuals.models import Section, Visibility
from manuals.sections import selectors, services
from tests.factories import make_section, make_user

ROLES = ["anonymous", "norole", "agent", "editor", "publisher", "admin"]


# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


def make_role_user(role):
    if role == "anonymous":
        return None
    if role == "norole":
        return make_user(username="norole")
    if role == "admin":
        from tests.factories import make_admin

        return make_admin("root")
    if role == "publisher":
        return make_user("editor", "publisher", username="pub")
    return make_user(role, username=role)


def client_for(role):
    client = Client()
    user = make_role_user(role)
    if user is not None:
        client.force_login(user)
    return client


LOGIN = "login"


def url(route, key=None, *extra, query=""):
    """A URL builder from the tree fixture: the route, the section it is about
    (a key of the `tree` fixture) and further arguments."""

    def build(t):
        args = [t[key].pk, *extra] if key else list(extra)
        return reverse(route, args=args) + query

    return build


def section_url(key):
    return lambda t: t[key].get_absolute_url()


# (name, method, url builder, expected status by role: anonymous, norole, agent,
# editor, publisher, admin). "login" = redirect to the login page.
# An editing page: users who may not read the section get 404, readers who may not
# edit 403.
EDITING = [LOGIN, 404, 403, 200, 200, 200]
INTERNAL_VIEWS = [
    ("home", "get", url("home"), [LOGIN, 200, 200, 200, 200, 200]),
    ("detail", "get", section_url("refund"), [LOGIN, 404, 200, 200, 200, 200]),
    (
        "detail_by_id",
        "get",
        lambda t: f"/s/{t['refund'].pk}/",
        [LOGIN, 404, 301, 301, 301, 301],
    ),
    (
        "tree_children",
        "get",
        url("manuals:tree_children", "a"),
        [LOGIN, 404, 200, 200, 200, 200],
    ),
    (
        "create_root",
        "get",
        url("manuals:create_root"),
        [LOGIN, 403, 403, 200, 200, 200],
    ),
    (
        "create_child",
        "get",
        url("manuals:create_child", "a"),
        [LOGIN, 403, 403, 200, 200, 200],
    ),
    # The editing pages of the refund policy: the same answers for each.
    *(
        (name, "get", url(f"manuals:{name}", "refund", *args, query=query), EDITING)
        for name, args, query in [
            ("edit", (), ""),
            ("history", (), ""),
            ("diff", (), "?a=1&b=1"),
            ("revision", (1,), ""),
            ("settings", (), ""),
            ("move", (), ""),
            ("delete", (), ""),
        ]
    ),
    ("preview", "post", url("manuals:preview"), [LOGIN, 403, 403, 200, 200, 200]),
    (
        "publish",
        "post",
        url("manuals:publish", "refund"),
        [LOGIN, 404, 403, 403, 302, 302],
    ),
    (
        "restore",
        "post",
        url("manuals:restore", "refund", 1),
        [LOGIN, 404, 403, 302, 302, 302],
    ),
    (
        "delete_post",
        "post",
        url("manuals:delete", "refund"),
        [LOGIN, 404, 403, 302, 302, 302],
    ),
]


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
@pytest.mark.parametrize(
    "name,method,url_for,expected", INTERNAL_VIEWS, ids=[v[0] for v in INTERNAL_VIEWS]
)
def test_view_permissions_on_internal_section(
    tree, name, method, url_for, expected, role_index, role
):
    """Each role gets the expected answer on each page of an internal section.

    Anonymous visitors go to the login page; users who may not read the section get
    404 (its existence is not leaked); readers who may not act get 403.
    """
    url = url_for(tree)
    response = getattr(client_for(role), method)(
        url, {"body": "x"} if name == "preview" else None
    )
    want = expected[role_index]
    if want == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == want


PUBLIC_VIEWS = [
    ("detail", "get", section_url("public_faq"), 200),
    ("tree_children", "get", url("manuals:tree_children", "help"), 200),
    ("edit", "get", url("manuals:edit", "public_faq"), 403),
    ("history", "get", url("manuals:history", "public_faq"), 403),
    ("settings", "get", url("manuals:settings", "public_faq"), 403),
    ("move", "get", url("manuals:move", "public_faq"), 403),
    ("publish", "post", url("manuals:publish", "public_faq"), 403),
]


@pytest.mark.parametrize(
    "name,method,url_for,expected", PUBLIC_VIEWS, ids=[v[0] for v in PUBLIC_VIEWS]
)
def test_user_without_role_on_public_section(tree, name, method, url_for, expected):
    """A logged-in user without a role reads public sections but changes nothing."""
    response = getattr(client_for("norole"), method)(url_for(tree))
    assert response.status_code == expected


def test_agent_forms_post_forbidden(tree, agent_client):
    """An agent's POSTs to edit, settings, move and create are refused and change
    nothing."""
    refund = tree["refund"]
    posts = [
        (reverse("manuals:edit", args=[refund.pk]), {"title": "hacked", "body": "x"}),
        (
            reverse("manuals:settings", args=[refund.pk]),
            {"kind": "sop", "visibility": "public"},
        ),
        (
            reverse("manuals:move", args=[refund.pk]),
            {"target": tree["b"].pk, "position": "last-child"},
        ),
        (
            reverse("manuals:create_child", args=[tree["a"].pk]),
            {"title": "new", "kind": "article", "visibility": "internal"},
        ),
    ]
    before = list(
        Section.objects.values_list(
            "pk", "path", "title", "visibility", "kind", "head_revision"
        )
    )
    for url, data in posts:
        assert agent_client.post(url, data).status_code == 403
    after = list(
        Section.objects.values_list(
            "pk", "path", "title", "visibility", "kind", "head_revision"
        )
    )
    assert after == before


def test_editor_can_do_everything_but_publish(tree, editor_client):
    """An editor creates, edits, moves and deletes; publishing answers 403."""
    a, refund, sop = tree["a"], tree["refund"], tree["sop"]
    response = editor_client.post(
        reverse("manuals:create_child", args=[a.pk]),
        {
            "title": "新文章",
            "kind": "article",
            "visibility": "internal",
            "body": "text",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    new = Section.objects.get(title="新文章")
    assert new.published_revision is None  # "publish" ignored without permission
    response = editor_client.post(
        reverse("manuals:edit", args=[refund.pk]),
        {"title": "退款政策", "body": "edited", "base": refund.head_revision.pk},
    )
    assert response.status_code == 302
    assert Section.objects.get(pk=refund.pk).head_revision.body == "edited"
    response = editor_client.post(
        reverse("manuals:move", args=[sop.pk]),
        {"target": tree["b"].pk, "position": "last-child"},
    )
    assert response.status_code == 302
    sop.refresh_from_db()
    assert sop.is_descendant_of(Section.objects.get(pk=tree["b"].pk))
    response = editor_client.post(reverse("manuals:publish", args=[refund.pk]))
    assert response.status_code == 403
    refund.refresh_from_db()
    assert refund.published_revision.body != "edited"
    response = editor_client.post(reverse("manuals:delete", args=[new.pk]))
    assert response.status_code == 302
    assert Section.objects.get(pk=new.pk).in_trash
    assert not Section.objects.readable_by(new.owner).filter(pk=new.pk).exists()
    assert not any(Section.objects.find_problems())


def test_publisher_publishes_head(tree, publisher_client, agent):
    """A publisher's POST to publish makes the latest revision what agents read."""
    refund = tree["refund"]
    services.section_save(
        section=refund,
        user=make_user("editor", username="ed2"),
        title="退款政策",
        body="NEW-PUBLISHED-TEXT",
        base=refund.head_revision,
    )
    response = publisher_client.post(reverse("manuals:publish", args=[refund.pk]))
    assert response.status_code == 302
    agent_client = Client()
    agent_client.force_login(agent)
    assert (
        "NEW-PUBLISHED-TEXT"
        in agent_client.get(refund.get_absolute_url()).content.decode()
    )


# --- visibility -----------------------------------------------------------------


@pytest.fixture
def restricted(tree, admin_user):
    """A manual restricted to the group 'vip' with one chapter inside."""
    vip = Group.objects.create(name="vip")
    manual = make_section(
        title="VIP-MANUAL",
        visibility=Visibility.RESTRICTED,
        groups=[vip],
        user=admin_user,
    )
    chapter = make_section(
        manual,
        title="VIP-CHAPTER",
        body="VIP-SECRET",
        visibility=Visibility.RESTRICTED,
        groups=[vip],
        user=admin_user,
    )
    return {"group": vip, "manual": manual, "chapter": chapter}


@pytest.mark.parametrize(
    "who,status",
    [
        ("member", 200),
        ("outsider", 404),
        ("editor_outsider", 404),
        ("admin", 200),
        ("norole_member", 404),
    ],
)
def test_restricted_section_readable_by_group_members_only(restricted, who, status):
    """Restricted sections are readable by members of their groups and superusers."""
    if who == "admin":
        from tests.factories import make_admin

        user = make_admin("root")
    else:
        roles = {
            "member": ["agent"],
            "outsider": ["agent"],
            "editor_outsider": ["editor", "publisher"],
            "norole_member": [],
        }[who]
        user = make_user(*roles, username=who)
        if who.endswith("member"):
            user.groups.add(restricted["group"])
    client = Client()
    client.force_login(user)
    response = client.get(restricted["chapter"].get_absolute_url())
    assert response.status_code == status
    home = client.get(reverse("home")).content.decode()
    assert ("VIP-MANUAL" in home) == (status == 200)
    readable = (
        Section.objects.readable_by(user).filter(pk=restricted["chapter"].pk).exists()
    )
    assert readable == (status == 200)


def test_restricted_editor_outsider_cannot_edit(restricted):
    """An editor outside the group cannot open the edit page (404)."""
    client = Client()
    client.force_login(make_user("editor", username="out"))
    url = reverse("manuals:edit", args=[restricted["chapter"].pk])
    assert client.get(url).status_code == 404


def test_user_without_role_sees_only_public(tree):
    """A user without roles sees only public sections on the home page and sidebar."""
    client = client_for("norole")
    html = client.get(reverse("home")).content.decode()
    assert "帮助中心" in html
    assert "客服手册" not in html
    assert client.get(tree["refund"].get_absolute_url()).status_code == 404
    page = client.get(tree["public_faq"].get_absolute_url()).content.decode()
    assert "PUBLIC-TEXT" in page
    assert "客服手册" not in page


def test_agent_reads_internal_and_public(tree, agent_client):
    """An agent reads internal sections and public ones."""
    for key in ("refund", "public_faq", "manual"):
        assert agent_client.get(tree[key].get_absolute_url()).status_code == 200


def test_can_read_checks_ancestors_even_if_row_is_wrong(tree):
    """A section widened behind the services' back (raw update) still does not leak."""
    Section.objects.filter(pk=tree["refund"].pk).update(visibility=Visibility.PUBLIC)
    refund = Section.objects.get(pk=tree["refund"].pk)
    user = make_user(username="nobody")
    assert not permissions.can_read(user, refund)
    client = Client()
    client.force_login(user)
    assert client.get(refund.get_absolute_url()).status_code == 404


# --- drafts ----------------------------------------------------------------------


def test_unpublished_revision_invisible_to_agents(tree, editor, agent_client):
    """Agents read the published text; the editor's draft stays invisible to them."""
    refund = tree["refund"]
    services.section_save(
        section=refund,
        user=editor,
        title="退款政策（草稿）",
        body="DRAFT-ONLY-TEXT",
        base=refund.head_revision,
    )
    for url in (refund.get_absolute_url(), refund.get_absolute_url() + "?draft=1"):
        html = agent_client.get(url).content.decode()
        assert "INTERNAL-CANARY" in html
        assert "DRAFT-ONLY-TEXT" not in html
        assert "退款政策（草稿）" not in html
        assert "kb-banner-draft" not in html


def test_editor_sees_draft_banner_and_draft(tree, editor, editor_client):
    """Editors see a banner about unpublished changes and can open the draft."""
    refund = tree["refund"]
    services.section_save(
        section=refund,
        user=editor,
        title="退款政策",
        body="DRAFT-ONLY-TEXT",
        base=refund.head_revision,
    )
    html = editor_client.get(refund.get_absolute_url()).content.decode()
    assert "kb-banner-draft" in html
    assert "?draft=1" in html
    assert "DRAFT-ONLY-TEXT" not in html
    draft = editor_client.get(refund.get_absolute_url() + "?draft=1")
    assert "DRAFT-ONLY-TEXT" in draft.content.decode()
    assert draft.context["showing_draft"]


def test_unpublished_new_section_invisible_to_agents(tree, editor):
    """A never-published section is hidden from agents in the tree and by URL."""
    a = tree["a"]
    agent_client, editor_client = client_for("agent"), Client()
    editor_client.force_login(editor)
    draft = make_section(a, title="DRAFT-SECTION", user=editor, publish=False)
    assert agent_client.get(draft.get_absolute_url()).status_code == 404
    chapter_page = agent_client.get(a.get_absolute_url()).content.decode()
    assert "DRAFT-SECTION" not in chapter_page
    lazy = agent_client.get(reverse("manuals:tree_children", args=[a.pk]))
    assert "DRAFT-SECTION" not in lazy.content.decode()
    assert (
        "DRAFT-SECTION"
        not in agent_client.get(tree["refund"].get_absolute_url()).content.decode()
    )
    # Editors see it, marked as a draft.
    assert editor_client.get(draft.get_absolute_url()).status_code == 200
    lazy = editor_client.get(reverse("manuals:tree_children", args=[a.pk]))
    assert "DRAFT-SECTION" in lazy.content.decode()
    assert "kb-badge-draft" in lazy.content.decode()


def test_draft_parent_title_not_leaked_through_published_child(
    tree, admin_user, agent_client
):
    """The title of a never-published section never reaches an agent.

    A publisher may publish an article inside a new chapter that is still a draft;
    the agent must not learn the draft chapter's title from that article's page
    (breadcrumbs) — the article is either hidden or shown without it.
    """
    draft = make_section(
        tree["manual"], title="DRAFT-CHAPTER-TITLE", user=admin_user, publish=False
    )
    child = make_section(draft, title="published child", user=admin_user)
    response = agent_client.get(child.get_absolute_url())
    assert "DRAFT-CHAPTER-TITLE" not in response.content.decode()


# --- lazy sidebar children ----------------------------------------------------------


def test_tree_children_hides_internal_from_users_without_view_internal(
    tree, admin_user
):
    """The sidebar's lazy children never list internal children to a no-role user."""
    make_section(
        tree["help"],
        title="INTERNAL-CHILD",
        user=admin_user,
        visibility=Visibility.INTERNAL,
    )
    url = reverse("manuals:tree_children", args=[tree["help"].pk])
    html = client_for("norole").get(url).content.decode()
    assert "常见问题" in html
    assert "INTERNAL-CHILD" not in html
    agent_html = client_for("agent").get(url).content.decode()
    assert "INTERNAL-CHILD" in agent_html


def test_tree_children_hides_restricted_from_outsiders(
    tree, restricted, admin_user, agent_client
):
    """Restricted children are listed only to members of their groups."""
    make_section(
        tree["a"],
        title="VIP-ONLY-CHILD",
        user=admin_user,
        visibility=Visibility.RESTRICTED,
        groups=[restricted["group"]],
    )
    url = reverse("manuals:tree_children", args=[tree["a"].pk])
    assert "VIP-ONLY-CHILD" not in agent_client.get(url).content.decode()
    member = make_user("agent", username="member")
    member.groups.add(restricted["group"])
    client = Client()
    client.force_login(member)
    assert "VIP-ONLY-CHILD" in client.get(url).content.decode()


def test_selectors_visible_to(tree, agent, editor):
    """visible_to hides drafts from agents but not from editors."""
    draft = make_section(tree["a"], title="d", user=editor, publish=False)
    assert not Section.objects.visible_to(agent).filter(pk=draft.pk).exists()
    assert Section.objects.visible_to(editor).filter(pk=draft.pk).exists()
    assert [
        n.section.title
        for n in selectors.tree_children(agent, Section.objects.get(pk=tree["a"].pk))
    ] == ["退款政策", "退货流程"]


# --- CSRF ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "edit",
        "preview",
        "publish",
        "restore",
        "settings",
        "move",
        "delete",
        "create_child",
    ],
)
def test_csrf_enforced_on_post_views(tree, publisher, name):
    """A POST without a CSRF token is refused with 403 and changes nothing."""
    refund = tree["refund"]
    urls = {
        "edit": (
            reverse("manuals:edit", args=[refund.pk]),
            {"title": "x", "body": "y"},
        ),
        "preview": (reverse("manuals:preview"), {"body": "x"}),
        "publish": (reverse("manuals:publish", args=[refund.pk]), {}),
        "restore": (reverse("manuals:restore", args=[refund.pk, 1]), {}),
        "settings": (
            reverse("manuals:settings", args=[refund.pk]),
            {"kind": "sop", "visibility": "internal"},
        ),
        "move": (
            reverse("manuals:move", args=[refund.pk]),
            {"target": tree["b"].pk, "position": "last-child"},
        ),
        "delete": (reverse("manuals:delete", args=[refund.pk]), {}),
        "create_child": (
            reverse("manuals:create_child", args=[tree["a"].pk]),
            {"title": "new", "kind": "article", "visibility": "internal"},
        ),
    }
    url, data = urls[name]
    client = Client(enforce_csrf_checks=True)
    client.force_login(publisher)
    before = list(Section.objects.values_list("pk", "path", "kind", "head_revision"))
    response = client.post(url, data)
    assert response.status_code == 403
    assert (
        list(Section.objects.values_list("pk", "path", "kind", "head_revision"))
        == before
    )
