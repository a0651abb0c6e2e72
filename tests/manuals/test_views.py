"""Pages: stable URLs, forms and bad input, the edit conflict, and query counts."""

from urllib.parse import unquote

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manuals.models import Kind, Revision, Section, Visibility
from manuals.rendering import body_limit
from manuals.sections import services
from tests.factories import make_admin, make_section, make_user

# Every test here sees the conftest's small manual and the two chapters below, built
# once for the module (module_data in tests/conftest.py); `tree` and `two_chapters`
# hand each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree", "module_two_chapters")


BODY = "first line\n\nsecond line\n\nthird line\n"


@pytest.fixture(autouse=True)
def _no_analytics_flush_mid_request(settings):
    """Page views are buffered process-wide and written when the batch is full or
    old enough; pin both limits so no such write lands inside a measured request
    (query counts must not depend on the clock or on earlier tests)."""
    settings.KB_ANALYTICS_BATCH_SIZE = 10**9
    settings.KB_ANALYTICS_FLUSH_SECONDS = 10**9


def fresh(section):
    return Section.objects.get(pk=section.pk)


# --- stable URLs --------------------------------------------------------------------


def test_url_holds_id_and_slug(tree):
    """A section's address is /s/<id>/<slug>/ and the slug follows the title."""
    refund = tree["refund"]
    assert unquote(refund.get_absolute_url()) == f"/s/{refund.pk}/{refund.slug}/"
    assert refund.slug == "退款政策"


def test_chinese_slug_url_served(tree, agent_client):
    """The percent-encoded Chinese address is served without a redirect."""
    response = agent_client.get(tree["refund"].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("suffix", ["", "wrong-slug/", "退款/"])
def test_wrong_or_missing_slug_redirects_permanently(tree, agent_client, suffix):
    """A wrong or missing slug 301-redirects to the canonical address."""
    refund = tree["refund"]
    response = agent_client.get(f"/s/{refund.pk}/{suffix}")
    assert response.status_code == 301
    assert response["Location"] == refund.get_absolute_url()


def test_renamed_section_old_url_redirects(tree, publisher, agent_client):
    """After a rename is published, the old address 301-redirects to the new one."""
    refund = tree["refund"]
    old_url = refund.get_absolute_url()
    revision = services.section_save(
        section=refund,
        user=publisher,
        title="退款规则",
        body="x",
        base=refund.head_revision,
    ).revision
    services.revision_publish(section=refund, revision=revision, user=publisher)
    refund.refresh_from_db()
    assert refund.get_absolute_url() != old_url
    response = agent_client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == refund.get_absolute_url()
    assert agent_client.get(response["Location"]).status_code == 200


def test_section_without_slug_has_one_address(tree, admin_user, agent_client):
    """A title with no letters gets an id-only address; any slug redirects to it."""
    section = make_section(tree["manual"], title="!!!", user=admin_user)
    assert section.get_absolute_url() == f"/s/{section.pk}/"
    assert agent_client.get(section.get_absolute_url()).status_code == 200
    response = agent_client.get(f"/s/{section.pk}/junk/")
    assert response.status_code == 301
    assert response["Location"] == section.get_absolute_url()


def test_unknown_section_is_404(tree, agent_client):
    """An id that does not exist is a 404."""
    missing = Section.objects.order_by("-pk").first().pk + 100
    assert agent_client.get(f"/s/{missing}/x/").status_code == 404


# --- titles are escaped -----------------------------------------------------------


def test_hostile_title_is_escaped_everywhere(tree, publisher_client):
    """HTML in a title shows as text on the section, home, sidebar and edit pages."""
    hostile = '<script>alert("T")</script><img src=x onerror=alert(1)>'
    response = publisher_client.post(
        reverse("manuals:create_child", args=[tree["a"].pk]),
        {
            "title": hostile,
            "kind": Kind.ARTICLE,
            "visibility": Visibility.INTERNAL,
            "body": "",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    section = Section.objects.get(title=hostile)
    pages = [
        section.get_absolute_url(),
        tree["refund"].get_absolute_url(),  # sidebar lists the new sibling
        tree["a"].get_absolute_url(),  # children list
        reverse("manuals:edit", args=[section.pk]),
        reverse("manuals:history", args=[section.pk]),
        reverse("home"),
    ]
    for url in pages:
        html = publisher_client.get(url).content.decode()
        assert '<script>alert("T")</script>' not in html, url
        assert "<img src=x onerror" not in html, url
    detail = publisher_client.get(section.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;T&quot;)&lt;/script&gt;" in detail


# --- kind starting templates ------------------------------------------------------


def test_new_sop_starts_with_headings_in_english(tree, editor_client):
    """A new SOP's body starts with Purpose, Scope, Steps and Owner headings."""
    url = reverse("manuals:create_child", args=[tree["a"].pk]) + "?kind=sop"
    response = editor_client.get(url, headers={"accept-language": "en"})
    body = response.context["form"].initial["body"]
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == ["## Purpose", "## Scope", "## Steps", "## Owner"]
    html = response.content.decode()
    assert "## Purpose" in html
    assert 'value="sop" selected' in html


def test_new_sop_starts_with_headings_in_chinese(tree, editor_client):
    """In the default Chinese interface the SOP headings are Chinese."""
    url = reverse("manuals:create_child", args=[tree["a"].pk]) + "?kind=sop"
    body = editor_client.get(url).context["form"].initial["body"]
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == ["## 目的", "## 适用范围", "## 操作步骤", "## 负责人"]


def test_new_escalation_starts_with_table(tree, editor_client):
    """A new escalation procedure has a table: issue, threshold, escalate to, within."""
    url = reverse("manuals:create_child", args=[tree["a"].pk]) + "?kind=escalation"
    response = editor_client.get(url, headers={"accept-language": "en"})
    body = response.context["form"].initial["body"]
    assert "| Issue | Threshold | Escalate to | Within |" in body
    from manuals.rendering import render_markdown

    html = render_markdown(body).html
    for header in ("Issue", "Threshold", "Escalate to", "Within"):
        assert f"<th>{header}</th>" in html


def test_unknown_kind_falls_back(tree, editor_client):
    """An unknown ?kind= falls back to a plain article with an empty body."""
    url = reverse("manuals:create_child", args=[tree["a"].pk]) + "?kind=bogus"
    form = editor_client.get(url).context["form"]
    assert form.initial["kind"] == Kind.ARTICLE
    assert form.initial["body"] == ""


def test_create_form_carries_every_kind_template(tree, editor_client):
    """The create page embeds every kind's skeleton for switching kinds."""
    html = editor_client.get(reverse("manuals:create_root")).content.decode()
    assert 'id="kb-kind-templates"' in html
    assert '"sop":' in html and '"escalation":' in html


# --- create and settings forms ------------------------------------------------------


def test_create_narrows_visibility_with_message(tree, editor_client):
    """A public child of an internal chapter is created internal, with a warning."""
    response = editor_client.post(
        reverse("manuals:create_child", args=[tree["a"].pk]),
        {
            "title": "wants public",
            "kind": Kind.ARTICLE,
            "visibility": Visibility.PUBLIC,
            "body": "",
        },
        follow=True,
    )
    section = Section.objects.get(title="wants public")
    assert section.visibility == Visibility.INTERNAL
    levels = [m.level_tag for m in response.context["messages"]]
    assert "warning" in levels


def test_create_empty_title_is_form_error(tree, editor_client):
    """An empty (or blank) title shows a form error and creates nothing."""
    count = Section.objects.count()
    for title in ("", "   "):
        response = editor_client.post(
            reverse("manuals:create_child", args=[tree["a"].pk]),
            {
                "title": title,
                "kind": Kind.ARTICLE,
                "visibility": Visibility.INTERNAL,
                "body": "text",
            },
        )
        assert response.status_code == 200
        assert "title" in response.context["form"].errors
    assert Section.objects.count() == count


def test_create_oversized_body_refused(tree, editor_client):
    """A body over the limit is refused with a message; nothing is created."""
    count = Section.objects.count()
    response = editor_client.post(
        reverse("manuals:create_child", args=[tree["a"].pk]),
        {
            "title": "big",
            "kind": Kind.ARTICLE,
            "visibility": Visibility.INTERNAL,
            "body": "x" * (body_limit() + 1),
        },
    )
    assert response.status_code == 200
    assert "body" in response.context["form"].errors
    assert "has-error" in response.content.decode()
    assert Section.objects.count() == count


def test_edit_oversized_body_and_empty_title_refused(tree, editor_client):
    """Edits with an oversized body or an empty title save no revision."""
    refund = tree["refund"]
    url = reverse("manuals:edit", args=[refund.pk])
    for data in (
        {"title": "t", "body": "x" * (body_limit() + 1)},
        {"title": "", "body": "ok"},
    ):
        response = editor_client.post(url, {**data, "base": refund.head_revision.pk})
        assert response.status_code == 200
        assert response.context["form"].errors
    assert refund.revisions.count() == 1


def test_settings_restricted_without_groups_refused(tree, editor_client):
    """Choosing 'restricted' without a group shows a message and changes nothing."""
    refund = tree["refund"]
    response = editor_client.post(
        reverse("manuals:settings", args=[refund.pk]),
        {"kind": Kind.SOP, "visibility": Visibility.RESTRICTED, "tags": "a"},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 200
    assert "groups" in response.context["form"].errors
    assert "Choose at least one group" in response.content.decode()
    refund.refresh_from_db()
    assert refund.visibility == Visibility.INTERNAL
    assert refund.kind == Kind.POLICY
    assert not refund.tags.exists()


def test_settings_restricted_with_group_saved(tree, editor_client):
    """Restricting to a group saves and passes down to the subsections."""
    group = Group.objects.create(name="team")
    a = tree["a"]
    response = editor_client.post(
        reverse("manuals:settings", args=[a.pk]),
        {
            "kind": Kind.CHAPTER,
            "visibility": Visibility.RESTRICTED,
            "groups": [group.pk],
            "tags": "退款，售后",
        },
    )
    assert response.status_code == 302
    for section in (a, tree["refund"], tree["sop"]):
        section.refresh_from_db()
        assert section.visibility == Visibility.RESTRICTED
        assert list(section.groups.all()) == [group]
    assert sorted(t.name for t in a.tags.all()) == ["售后", "退款"]


def test_settings_widening_shows_warning(tree, editor_client):
    """Asking for public under an internal parent keeps internal and warns."""
    response = editor_client.post(
        reverse("manuals:settings", args=[tree["refund"].pk]),
        {"kind": Kind.POLICY, "visibility": Visibility.PUBLIC},
        follow=True,
    )
    assert fresh(tree["refund"]).visibility == Visibility.INTERNAL
    assert "warning" in [m.level_tag for m in response.context["messages"]]


# --- bad diff and publish parameters ------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "a=abc&b=1",
        "a=1&b=x",
        "a=1.5&b=1",
        "",
        "a=1&b=9",
        "a=&b=",
        "a=1&b=99999999999999999999999",
    ],
)
def test_diff_bad_params_are_404(tree, editor_client, query):
    """Non-numeric, missing or unknown revision numbers give 404, not 500."""
    url = reverse("manuals:diff", args=[tree["refund"].pk]) + "?" + query
    assert editor_client.get(url).status_code == 404


def test_publish_non_numeric_number_is_404(tree, publisher_client):
    """A non-numeric revision number posted to publish gives 404, not a server error.

    The publish form sends the revision number as a POST field; bad input must not
    crash the page (and must not publish anything).
    """
    refund = tree["refund"]
    publisher_client.raise_request_exception = False
    response = publisher_client.post(
        reverse("manuals:publish", args=[refund.pk]), {"number": "abc"}
    )
    assert response.status_code == 404
    assert fresh(refund).published_revision.number == 1


def test_publish_specific_number(tree, publisher, publisher_client):
    """Publishing by number publishes that revision."""
    refund = tree["refund"]
    services.section_save(
        section=refund,
        user=publisher,
        title="退款政策",
        body="v2",
        base=refund.head_revision,
    )
    services.section_save(
        section=refund,
        user=publisher,
        title="退款政策",
        body="v3",
        base=fresh(refund).head_revision,
    )
    response = publisher_client.post(
        reverse("manuals:publish", args=[refund.pk]), {"number": "2"}
    )
    assert response.status_code == 302
    assert fresh(refund).published_revision.body == "v2"


def test_unknown_revision_page_is_404(tree, editor_client):
    """A revision number that does not exist is 404."""
    url = reverse("manuals:revision", args=[tree["refund"].pk, 42])
    assert editor_client.get(url).status_code == 404


# --- editing, drafts, restore -----------------------------------------------------


@pytest.fixture
def article(admin_user):
    return make_section(title="Article", body=BODY, user=admin_user)


def _edit(client, section, body, base, **extra):
    return client.post(
        reverse("manuals:edit", args=[section.pk]),
        {"title": section.title, "body": body, "base": base.pk, **extra},
    )


def test_edit_form_starts_from_head(article, editor_client):
    """The edit form holds the head revision's text and remembers it as the base."""
    form = editor_client.get(reverse("manuals:edit", args=[article.pk])).context["form"]
    assert form.initial["body"] == BODY
    assert form.initial["base"] == article.head_revision


def test_editor_save_is_draft(article, editor_client):
    """An editor's save becomes revision 2 as a draft and lands on the draft view."""
    response = _edit(
        editor_client, article, "new text", article.head_revision, publish="1"
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?draft=1")
    article.refresh_from_db()
    assert article.head_revision.number == 2
    assert article.published_revision.number == 1


def test_publisher_save_and_publish(article, publisher_client):
    """'Save and publish' saves a revision and publishes it."""
    response = _edit(
        publisher_client, article, "new text", article.head_revision, publish="1"
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.published_revision.body == "new text"


def test_edit_merge_through_view(article, admin_user, editor_client):
    """A stale form with a non-overlapping change is merged and saved."""
    base = article.head_revision
    services.section_save(
        section=article,
        user=admin_user,
        title="Article",
        body=BODY.replace("first", "FIRST"),
        base=base,
    )
    response = _edit(editor_client, article, BODY.replace("third", "THIRD"), base)
    assert response.status_code == 302
    head = fresh(article).head_revision
    assert head.number == 3
    assert "FIRST" in head.body and "THIRD" in head.body


def test_edit_conflict_shows_editor_text_back(article, admin_user, editor_client):
    """On overlapping changes nothing is saved; the form shows the editor's text
    with both versions marked, now based on the newer head."""
    base = article.head_revision
    theirs = services.section_save(
        section=article,
        user=admin_user,
        title="Article",
        body=BODY.replace("second line", "THEIR second"),
        base=base,
    ).revision
    response = _edit(
        editor_client, article, BODY.replace("second line", "MY second"), base
    )
    assert response.status_code == 200
    assert response.context["conflict"].status == "conflict"
    form = response.context["form"]
    assert "MY second" in form.initial["body"]
    assert "THEIR second" in form.initial["body"]
    assert form.initial["base"] == theirs
    html = response.content.decode()
    assert "kb-banner-conflict" in html
    assert "MY second" in html
    assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt;" in html
    assert f'name="base" value="{theirs.pk}"' in html
    assert fresh(article).head_revision == theirs
    assert article.revisions.count() == 2
    # Resolving and saving against the new base works.
    response = _edit(
        editor_client, article, BODY.replace("second line", "resolved"), theirs
    )
    assert response.status_code == 302
    # Whitespace is markdown syntax: the body is kept exactly as typed.
    assert fresh(article).head_revision.body == BODY.replace("second line", "resolved")


def test_restore_view_adds_revision(article, editor, editor_client):
    """Restoring from history adds a new revision with the old text."""
    services.section_save(
        section=article,
        user=editor,
        title="Article",
        body="changed",
        base=article.head_revision,
    )
    response = editor_client.post(reverse("manuals:restore", args=[article.pk, 1]))
    assert response.status_code == 302
    assert response["Location"] == reverse("manuals:history", args=[article.pk])
    numbers = dict(article.revisions.values_list("number", "body"))
    assert numbers == {1: BODY, 2: "changed", 3: BODY}


def test_restore_needs_post(article, editor_client):
    """Restore only answers POST (a link click cannot rewrite the head)."""
    url = reverse("manuals:restore", args=[article.pk, 1])
    assert editor_client.get(url).status_code == 405
    assert article.revisions.count() == 1


def test_delete_view_confirms_then_trashes(tree, editor_client):
    """The delete page counts subsections; posting moves the subtree to the trash
    (gone for readers, history kept) and returns to the parent."""
    a = tree["a"]
    page = editor_client.get(reverse("manuals:delete", args=[a.pk]))
    assert page.context["descendant_count"] == 2
    response = editor_client.post(reverse("manuals:delete", args=[a.pk]))
    assert response.status_code == 302
    assert response["Location"] == tree["manual"].get_absolute_url()
    gone = [a.pk, tree["refund"].pk, tree["sop"].pk]
    assert Section.objects.filter(pk__in=gone, in_trash=True).count() == 3
    assert Revision.objects.filter(section_id__in=gone).count() == 3
    for pk in gone:
        assert editor_client.get(f"/s/{pk}/").status_code == 404
    manual_page = editor_client.get(tree["manual"].get_absolute_url())
    assert "第一章 政策" not in manual_page.content.decode()
    assert not any(Section.objects.find_problems())


def test_preview_sanitizes(editor_client):
    """The live preview goes through the sanitizer."""
    response = editor_client.post(
        reverse("manuals:preview"),
        {
            "body": "## Title\n\n<script>alert(1)</script>\n\n"
            "<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))"
        },
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert 'id="h-title"' in html
    for bad in ("<script", "alert(1)", "onerror", "javascript:"):
        assert bad not in html


def test_preview_needs_post(editor_client):
    """The preview endpoint refuses GET."""
    assert editor_client.get(reverse("manuals:preview")).status_code == 405


# --- no N+1 queries ---------------------------------------------------------------


def count_queries(client, url, *, settle=None):
    """Queries of one GET of `url`. `settle`: a page read first, so what a session
    learns once (the reader's favourites and watches) is not counted for `url`
    only."""
    if settle is not None:
        assert client.get(settle).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_children(parent, n, user, **kwargs):
    return [
        make_section(
            parent,
            title=f"{parent.title}-{i}",
            body="## h\n\ntext",
            user=user,
            **kwargs,
        )
        for i in range(n)
    ]


def build_two_chapters(admin_user):
    """Chapter 'small' has 3 children, chapter 'big' has 30 (one with restricted
    groups in between, to exercise the group prefetch)."""
    manual = make_section(title="Manual", user=admin_user)
    small = make_section(manual, title="small", user=admin_user)
    big = make_section(manual, title="big", user=admin_user)
    add_children(small, 3, admin_user)
    add_children(big, 30, admin_user)
    return fresh(small), fresh(big)


@pytest.fixture(scope="module")
def module_two_chapters(module_data):
    return module_data(lambda: build_two_chapters(make_admin()))


@pytest.fixture
def two_chapters(module_two_chapters, db):
    """The two chapters (see build_two_chapters), built once for the module."""
    return module_two_chapters.get()


def test_section_page_queries_do_not_grow_with_children(
    two_chapters, agent_client, django_assert_num_queries
):
    """A chapter with 30 children costs the same queries as one with 3."""
    small, big = two_chapters
    n = count_queries(
        agent_client,
        small.get_absolute_url(),
        settle=Section.objects.get_parent(small).get_absolute_url(),
    )
    with django_assert_num_queries(n):
        response = agent_client.get(big.get_absolute_url())
    assert response.content.decode().count("big-") >= 30


def test_editor_section_page_queries_do_not_grow(
    two_chapters, editor_client, django_assert_num_queries
):
    """The editor's view of a chapter (actions, draft badges) does not grow either."""
    small, big = two_chapters
    n = count_queries(
        editor_client,
        small.get_absolute_url(),
        settle=Section.objects.get_parent(small).get_absolute_url(),
    )
    with django_assert_num_queries(n):
        editor_client.get(big.get_absolute_url())


def test_tree_children_queries_do_not_grow(
    two_chapters, agent_client, django_assert_num_queries
):
    """The lazy sidebar endpoint costs the same for 3 or 30 children."""
    small, big = two_chapters
    n = count_queries(agent_client, reverse("manuals:tree_children", args=[small.pk]))
    with django_assert_num_queries(n):
        agent_client.get(reverse("manuals:tree_children", args=[big.pk]))


def test_child_page_queries_do_not_grow_with_siblings(
    two_chapters, agent_client, django_assert_num_queries
):
    """A page whose sidebar lists 30 siblings costs the same as one with 3."""
    small, big = two_chapters
    small_child = Section.objects.get_children(small).first()
    big_child = Section.objects.get_children(big).first()
    n = count_queries(
        agent_client, small_child.get_absolute_url(), settle=small.get_absolute_url()
    )
    with django_assert_num_queries(n):
        agent_client.get(big_child.get_absolute_url())


@pytest.mark.parametrize("restricted", [False, True])
def test_deep_page_queries_do_not_grow_with_ancestors(
    admin_user, django_assert_num_queries, restricted
):
    """A section 9 levels deep costs the same queries as one 3 levels deep,
    also when every ancestor is restricted to the reader's group.

    Both pages have one child, so only the number of ancestors differs.
    """
    group = Group.objects.create(name="deep")
    reader = make_user("agent", username="reader")
    reader.groups.add(group)
    extra = (
        {"visibility": Visibility.RESTRICTED, "groups": [group]} if restricted else {}
    )
    node, chain = None, []
    for depth in range(10):
        node = make_section(node, title=f"level{depth}", user=admin_user, **extra)
        chain.append(node)
    client = Client()
    client.force_login(reader)
    n = count_queries(
        client, chain[2].get_absolute_url(), settle=chain[0].get_absolute_url()
    )
    with django_assert_num_queries(n):
        response = client.get(chain[8].get_absolute_url())
    assert response.status_code == 200


def test_home_queries_do_not_grow_with_manuals(
    admin_user, agent_client, django_assert_num_queries
):
    """The home page costs the same for 3 or 30 manuals."""
    for i in range(3):
        make_section(title=f"manual{i}", user=admin_user)
    n = count_queries(agent_client, reverse("home"))
    for i in range(3, 30):
        make_section(title=f"manual{i}", user=admin_user)
    with django_assert_num_queries(n):
        response = agent_client.get(reverse("home"))
    assert "manual29" in response.content.decode()


def test_history_queries_do_not_grow_with_revisions(
    admin_user, editor, editor_client, django_assert_num_queries
):
    """The history page costs the same for 3 or 30 revisions."""
    few = make_section(title="few", user=admin_user)
    many = make_section(title="many", user=admin_user)
    for section, count in ((few, 3), (many, 30)):
        for i in range(1, count):
            services.section_save(
                section=section,
                user=editor,
                title=section.title,
                body=f"v{i}",
                base=fresh(section).head_revision,
            )
    n = count_queries(editor_client, reverse("manuals:history", args=[few.pk]))
    with django_assert_num_queries(n):
        response = editor_client.get(reverse("manuals:history", args=[many.pk]))
    assert "#30" in response.content.decode()


@pytest.mark.parametrize(
    "name", ["move", "delete", "settings", "edit", "revision", "diff", "create_child"]
)
def test_editing_pages_queries_do_not_grow(
    two_chapters, editor_client, django_assert_num_queries, name
):
    """Move, delete, settings, edit, revision, diff and create pages cost the same
    queries on a chapter with 30 children as on one with 3."""
    small, big = two_chapters

    def url(section):
        if name == "revision":
            return reverse("manuals:revision", args=[section.pk, 1])
        if name == "diff":
            return reverse("manuals:diff", args=[section.pk]) + "?a=1&b=1"
        if name == "create_child":
            return reverse("manuals:create_child", args=[section.pk])
        return reverse(f"manuals:{name}", args=[section.pk])

    n = count_queries(editor_client, url(small))
    if name == "move":
        # The move page lists every possible target: 27 more sections, same queries.
        assert Section.objects.count() > 30
    with django_assert_num_queries(n):
        editor_client.get(url(big))


def test_section_page_query_ceiling(
    two_chapters, agent_client, django_assert_max_num_queries
):
    """A section page stays within a small, fixed number of queries."""
    _small, big = two_chapters
    with django_assert_max_num_queries(20):
        agent_client.get(big.get_absolute_url())
