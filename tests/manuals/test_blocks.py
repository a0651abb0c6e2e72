"""Reusable blocks (issue #4): embedding, where-used, impact, cascade re-render and
re-index, save-time validation, visibility in every output path, query counts,
permissions, CSRF and bad input.

Blocks and sections are made through the services, as the interface makes them; the
search index is a fresh folder per test and the outbox is applied on demand (tests run
inside a transaction, so the after-commit hook never fires by itself).
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from manuals import directives
from manuals.blocks import services as blocks
from manuals.models import (
    Block,
    BlockRevision,
    BlockUsage,
    Kind,
    Revision,
    Section,
    Visibility,
)
from manuals.rendering import render_markdown, render_revision, render_section
from manuals.search import get_search_backend, reset_search_backend
from manuals.search import services as search
from manuals.search.models import IndexTask
from manuals.search.outbox import apply_all
from manuals.sections.services import revision_publish, revision_restore, section_save
from tests.factories import make_admin, make_section, make_user

# -- fixtures and helpers ------------------------------------------------------------


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    """A fresh, empty search index per test (as tests/manuals/search/conftest.py)."""
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index"), "LOCK_TIMEOUT": 5},
    }
    reset_search_backend()
    yield get_search_backend()
    reset_search_backend()


@pytest.fixture
def index_now(db):
    """Apply the outbox as the after-commit hook would."""
    return apply_all


def build_roots(admin_user):
    """A public manual and an internal manual to put sections in."""
    return {
        "public": make_section(
            title="Help centre",
            kind=Kind.MANUAL,
            visibility=Visibility.PUBLIC,
            user=admin_user,
        ),
        "internal": make_section(
            title="Staff manual", kind=Kind.MANUAL, user=admin_user
        ),
    }


@pytest.fixture(scope="module")
def module_world(module_data):
    """The roots and the permission tests' block (build_perm_world), built once."""

    def build():
        roots = build_roots(make_admin())
        publisher = make_user("editor", "publisher", username="publisher")
        return {"roots": roots, "perm": build_perm_world(publisher, roots)}

    return module_data(build)


# Every test here sees the roots and the permission tests' block, built once for the
# module (module_data in tests/conftest.py); `roots` and `perm_world` hand each test
# its own instances.
pytestmark = pytest.mark.usefixtures("module_world")


@pytest.fixture
def roots(module_world, db):
    return module_world.get()["roots"]


def mkblock(key, body, user, *, visibility=Visibility.PUBLIC, publish=True, **kw):
    return blocks.block_create(
        key=key,
        title=f"Block {key}",
        body=body,
        visibility=visibility,
        user=user,
        publish=publish,
        **kw,
    )


def edit_block(block, body, user, *, publish=True):
    """Save a new revision of `block` from its head (and publish it)."""
    block = Block.objects.get(pk=block.pk)
    result = blocks.block_save(
        block=block, user=user, body=body, base=block.head_revision
    )
    assert result.status == "saved", result.status
    if publish:
        blocks.block_publish(block=block, revision=result.revision, user=user)
    return result.revision


def edit_section(section, body, user, *, publish=True):
    section = Section.objects.get(pk=section.pk)
    head = section.head_revision
    result = section_save(
        section=section, user=user, title=head.title, body=body, base=head
    )
    if publish:
        fresh = Section.objects.get(pk=section.pk)
        revision_publish(section=fresh, revision=result.revision, user=user)
    return result.revision


def usage_of(block):
    """{(content type model, object id, pinned)} of the block's where-used rows."""
    return {
        (u.content_type.model, u.object_id, u.pinned)
        for u in BlockUsage.objects.filter(block=block).select_related("content_type")
    }


def _root():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_superuser=True).first() or make_admin(
        "where-used-root"
    )


def where_used(block):
    """What the block page's "where used" table is built from."""
    return {
        (row["type"], row["object"].pk, row["pinned"], row["outdated"])
        for row in blocks.block_usages(
            block=Block.objects.get(pk=block.pk), user=_root()
        ).rows
    }


def staff_text(section):
    section = Section.objects.select_related("published_revision").get(pk=section.pk)
    return str(render_section(section, "internal:"))


def public_text(section):
    section = Section.objects.select_related("published_revision").get(pk=section.pk)
    return str(render_section(section, "public"))


def hits(user, q):
    """(section ids, all text of the hits) for a search as `user`, every page."""
    results = search.search_sections(user=user, parsed=search.parse(q), per_page=1000)
    ids = {h.object_id for h in results.hits if h.doc_type == "section"}
    text = " ".join(f"{h.title} {h.title_html} {h.snippet_html}" for h in results.hits)
    return ids, text, results


def _edit_post(client, section, body):
    section = Section.objects.get(pk=section.pk)
    return client.post(
        reverse("manuals:edit", kwargs={"pk": section.pk}),
        {
            "title": section.head_revision.title,
            "body": body,
            "base": section.head_revision.pk,
            "publish": "1",
        },
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# -- embedding: follow vs pin ------------------------------------------------------


def test_follow_shows_latest_published_and_pin_stays(publisher, roots):
    """{{block:KEY}} shows the block's latest published text; {{block:KEY@N}} keeps
    showing revision N after the block is changed and published again. An unpublished
    edit of the block changes neither."""
    block = mkblock("greeting", "Hello oldgreeting", publisher)
    follow = make_section(
        roots["internal"], title="Follow", body="{{block:greeting}}", user=publisher
    )
    pinned = make_section(
        roots["internal"], title="Pinned", body="{{block:greeting@1}}", user=publisher
    )
    assert "oldgreeting" in staff_text(follow)
    assert "oldgreeting" in staff_text(pinned)

    edit_block(block, "Hello draftgreeting", publisher, publish=False)
    assert "oldgreeting" in staff_text(follow)
    assert "draftgreeting" not in staff_text(follow)

    block.refresh_from_db()
    blocks.block_publish(block=block, revision=block.head_revision, user=publisher)
    assert "draftgreeting" in staff_text(follow)
    assert "oldgreeting" not in staff_text(follow)
    assert "oldgreeting" in staff_text(pinned)
    assert "draftgreeting" not in staff_text(pinned)


def test_block_directive_alone_on_a_line_is_a_marked_div_inline_is_plain(
    publisher, roots, client
):
    """A directive on its own line becomes a div.kb-block; editors see it labelled
    with a link to the block, readers see the text without the label or link. A
    directive inside a sentence becomes inline text."""
    mkblock("refund-rule", "Refunds within **seven** days.", publisher)
    section = make_section(
        roots["internal"],
        title="Refunds",
        body="Intro.\n\n{{block:refund-rule}}\n\nRemember: {{block:refund-rule}} ok.",
        user=publisher,
    )
    block_url = reverse("manuals:block", kwargs={"key": "refund-rule"})

    client.force_login(publisher)
    html = client.get(section.get_absolute_url()).content.decode()
    assert '<div class="kb-block">' in html
    assert re.search(rf'<a href="{block_url}"[^>]*>Block refund-rule</a>', html)
    assert "Remember: Refunds within <strong>seven</strong> days. ok." in html

    client.force_login(make_user("agent", username="reader"))
    html = client.get(section.get_absolute_url()).content.decode()
    assert '<div class="kb-block">' in html
    assert "Refunds within <strong>seven</strong> days." in html
    assert block_url not in html
    assert "kb-block-label" not in html


def test_preview_shows_embedded_text(publisher, client):
    """The editor's live preview expands block directives, marked for the editor."""
    mkblock("sig", "Kind regards, previewsignature", publisher)
    client.force_login(publisher)
    response = client.post(
        reverse("manuals:preview"), {"body": "Text\n\n{{block:sig}}\n"}
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert "previewsignature" in html
    assert 'class="kb-block"' in html


# -- where used --------------------------------------------------------------------


def test_where_used_follows_edits_that_add_and_remove_directives(
    publisher, roots, client
):
    """Where-used lists each section embedding the block, pinned or following, as the
    editor saves and publishes edits that add, change and remove directives; a pin
    older than the latest published revision is flagged as outdated."""
    block = mkblock("contact", "Call 123", publisher)
    edit_block(block, "Call 456", publisher)  # now published revision 2
    a = make_section(roots["internal"], title="A", body="x", user=publisher)
    b = make_section(
        roots["internal"], title="B", body="{{block:contact@1}}", user=publisher
    )
    assert where_used(block) == {("section", b.pk, 1, True)}
    client.force_login(publisher)

    _edit_post(client, a, "before\n\n{{block:contact}}\n")
    assert where_used(block) == {
        ("section", a.pk, None, False),
        ("section", b.pk, 1, True),
    }
    _edit_post(client, b, "{{block:contact@2}}")
    assert where_used(block) == {
        ("section", a.pk, None, False),
        ("section", b.pk, 2, False),
    }
    _edit_post(client, a, "no more block")
    assert where_used(block) == {("section", b.pk, 2, False)}
    _edit_post(client, b, "nothing")
    assert where_used(block) == set()


def test_where_used_keeps_a_published_use_while_a_draft_drops_it(publisher, roots):
    """A section whose published text embeds the block stays in where-used while an
    unpublished draft no longer does (readers still see the block)."""
    block = mkblock("draftuse", "d", publisher)
    s = make_section(
        roots["internal"], title="D", body="{{block:draftuse}}", user=publisher
    )
    edit_section(s, "draft without it", publisher, publish=False)
    assert where_used(block) == {("section", s.pk, None, False)}
    edit_section(s, "published without it", publisher)
    assert where_used(block) == set()


def test_where_used_lists_blocks_embedding_it(publisher):
    """A block embedded by another block lists that block in where-used."""
    inner = mkblock("inner", "inner text", publisher)
    outer = mkblock("outer", "{{block:inner}}", publisher)
    assert where_used(inner) == {("block", outer.pk, None, False)}


def test_where_used_lists_faq_entries_embedding_it(publisher):
    """An FAQ entry whose answer embeds a block shows in the block's where-used."""
    from faq import services as faq_services

    block = mkblock("faq-rule", "faq rule text", publisher)
    entry = faq_services.entry_create(
        question="How long do refunds take?",
        answer="{{block:faq-rule}}",
        user=publisher,
        visibility="public",
    )
    assert ("entry", entry.pk, None, False) in where_used(block)


def _pin_world(publisher, roots, key):
    block = mkblock(key, "Open 9-5 oldhours", publisher)
    edit_block(block, "Open 8-6 newhours", publisher)
    follow = make_section(
        roots["internal"],
        title="Follower",
        body=f"{{{{block:{key}}}}}",
        user=publisher,
    )
    pinned = make_section(
        roots["internal"],
        title="Pinner",
        body=f"{{{{block:{key}@1}}}}",
        user=publisher,
    )
    return Block.objects.get(pk=block.pk), follow, pinned


def test_block_page_shows_where_used_with_pin_update_button(publisher, roots, client):
    """The block page lists every section using it, following or pinned; a pin older
    than the latest revision is flagged and has an "update the pin" button."""
    block, follow, pinned = _pin_world(publisher, roots, "hours")
    client.force_login(publisher)
    response = client.get(block.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    table = page.split("data-kb-usages", 1)[1].split("</table>", 1)[0]
    assert "Follower" in table and "Pinner" in table
    pin_url = reverse("manuals:update_pin", kwargs={"pk": pinned.pk, "key": "hours"})
    assert pin_url in table
    follow_url = reverse("manuals:update_pin", kwargs={"pk": follow.pk, "key": "hours"})
    assert follow_url not in table


def test_update_pin_writes_a_new_published_revision(publisher, roots, client):
    """One click on "update the pin" writes a new revision of the section pinned to
    the block's latest revision, published since the section's head was published."""
    block, follow, pinned = _pin_world(publisher, roots, "hours")
    client.force_login(publisher)
    revisions_before = Revision.objects.filter(section=pinned).count()
    pin_url = reverse("manuals:update_pin", kwargs={"pk": pinned.pk, "key": "hours"})
    response = client.post(pin_url)
    assert response.status_code == 302
    pinned.refresh_from_db()
    assert Revision.objects.filter(section=pinned).count() == revisions_before + 1
    assert pinned.published_revision.body == "{{block:hours@2}}"
    assert "newhours" in staff_text(pinned)
    assert where_used(block) == {
        ("section", follow.pk, None, False),
        ("section", pinned.pk, 2, False),
    }


def test_editor_without_publish_right_can_update_a_pin(publisher, editor, roots):
    """An editor who may not publish still gets the one-click pin update, as a new
    (unpublished) revision of the section, instead of an error."""
    block = mkblock("hours2", "old", publisher)
    edit_block(block, "new", publisher)
    pinned = make_section(
        roots["internal"], title="P", body="{{block:hours2@1}}", user=publisher
    )
    client = Client()
    client.force_login(editor)
    response = client.post(
        reverse("manuals:update_pin", kwargs={"pk": pinned.pk, "key": "hours2"})
    )
    assert response.status_code == 302
    pinned.refresh_from_db()
    assert pinned.head_revision.body == "{{block:hours2@2}}"
    assert pinned.published_revision.body == "{{block:hours2@1}}"


# -- impact --------------------------------------------------------------------------


def test_impact_page_counts_followers_and_public_ones_and_diffs_one(
    publisher, roots, client
):
    """Before publishing, the impact page says how many sections follow the block,
    how many of them are public, and shows the rendered-text change of one of them.
    Pinned sections and sections not embedding the block are not counted."""
    block = mkblock("policy", "Returns within zebra days", publisher)
    make_section(
        roots["public"],
        title="Pub 1",
        body="{{block:policy}}",
        visibility=Visibility.PUBLIC,
        user=publisher,
    )
    make_section(
        roots["internal"], title="Int 1", body="{{block:policy}}", user=publisher
    )
    make_section(
        roots["internal"], title="Int 2", body="{{block:policy}}", user=publisher
    )
    make_section(
        roots["internal"], title="Pinned", body="{{block:policy@1}}", user=publisher
    )
    make_section(roots["internal"], title="Other", body="nothing", user=publisher)
    edit_block(block, "Returns within quokka days", publisher, publish=False)

    impact = blocks.block_impact(
        block=Block.objects.get(pk=block.pk),
        revision=Block.objects.get(pk=block.pk).head_revision,
        user=publisher,
    )
    assert impact.following == 3
    assert impact.public == 1

    client.force_login(publisher)
    response = client.get(reverse("manuals:block_publish", kwargs={"key": "policy"}))
    assert response.status_code == 200
    html = response.content.decode()
    banner = html.split("data-kb-impact", 1)[1].split("</div>", 1)[0]
    assert re.search(r"\b3\b", banner)
    assert re.search(r"\b1\b", banner)
    diff = re.sub(r"<[^>]+>", "", html.split('class="kb-diff"', 1)[1])
    assert "Returns within zebra days" in diff
    assert "Returns within quokka days" in diff
    assert "policy" in html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    # Looking at the impact publishes nothing.
    block.refresh_from_db()
    assert block.published_revision.number == 1


def test_impact_diff_for_a_section_following_through_another_block(publisher, roots):
    """The impact diff shows the change also when the sample section follows the
    block through another block."""
    block = mkblock("leaf", "leaf oldleaf", publisher)
    mkblock("wrapper", "wrapped:\n\n{{block:leaf}}\n", publisher)
    make_section(
        roots["internal"], title="Via wrapper", body="{{block:wrapper}}", user=publisher
    )
    edit_block(block, "leaf newleaf", publisher, publish=False)
    block = Block.objects.get(pk=block.pk)
    impact = blocks.block_impact(
        block=block, revision=block.head_revision, user=publisher
    )
    assert impact.following == 1
    changed = " ".join(
        f"{getattr(r, 'old', '')} {getattr(r, 'new', '')} {r}"
        for r in impact.rows
        if r.kind != "equal"
    )
    assert "newleaf" in changed


# -- cascade: re-render and re-index -------------------------------------------------


def test_publish_re_renders_and_re_indexes_every_follower_at_once(
    publisher, roots, index_now
):
    """Publishing a block re-renders every following section (directly or through
    another block) and re-indexes them through the outbox in the same transaction:
    search for the new text finds all of them, for the old text none; a pinned
    section keeps the old text."""
    block = mkblock("script", "Say oldscriptword please", publisher)
    mkblock("wrap", "{{block:script}}", publisher)
    direct = [
        make_section(
            roots["internal"],
            title=f"Direct {i}",
            body="{{block:script}}",
            user=publisher,
        )
        for i in range(3)
    ]
    public = make_section(
        roots["public"],
        title="Public one",
        body="{{block:script}}",
        visibility=Visibility.PUBLIC,
        user=publisher,
    )
    nested = make_section(
        roots["internal"], title="Nested", body="{{block:wrap}}", user=publisher
    )
    pinned = make_section(
        roots["internal"], title="Pinned", body="{{block:script@1}}", user=publisher
    )
    followers = {s.pk for s in [*direct, public, nested]}
    # Render every section once so the render cache holds the old text.
    for s in [*direct, public, nested, pinned]:
        assert "oldscriptword" in staff_text(s)
    index_now()
    found, _t, _r = hits(publisher, "oldscriptword")
    assert found == followers | {pinned.pk}

    revision = edit_block(block, "Say newscriptword please", publisher, publish=False)
    IndexTask.objects.all().delete()
    affected = blocks.block_publish(
        block=Block.objects.get(pk=block.pk), revision=revision, user=publisher
    )
    assert set(affected) == followers
    # The outbox rows were written by the publishing transaction itself.
    queued = set(
        IndexTask.objects.filter(doc_type="section").values_list("object_id", flat=True)
    )
    assert queued >= {str(pk) for pk in followers}
    index_now()

    found_new, _t, _r = hits(publisher, "newscriptword")
    assert found_new == followers
    found_old, _t, _r = hits(publisher, "oldscriptword")
    assert found_old == {pinned.pk}
    found_public, _t, _r = hits(AnonymousUser(), "newscriptword")
    assert found_public == {public.pk}
    for s in [*direct, public, nested]:
        assert "newscriptword" in staff_text(s)
        assert "oldscriptword" not in staff_text(s)
    assert "oldscriptword" in staff_text(pinned)


def test_publish_through_the_view_is_searchable(publisher, roots, client, index_now):
    """The publish button of the impact page re-indexes the followers."""
    block = mkblock("btn", "oldbuttonword", publisher)
    s1 = make_section(
        roots["internal"], title="S1", body="{{block:btn}}", user=publisher
    )
    s2 = make_section(
        roots["public"],
        title="S2",
        body="{{block:btn}}",
        visibility=Visibility.PUBLIC,
        user=publisher,
    )
    index_now()
    edit_block(block, "newbuttonword", publisher, publish=False)
    client.force_login(publisher)
    response = client.post(reverse("manuals:block_publish", kwargs={"key": "btn"}))
    assert response.status_code == 302
    index_now()
    assert hits(publisher, "newbuttonword")[0] == {s1.pk, s2.pk}
    assert hits(publisher, "oldbuttonword")[0] == set()


def test_publishing_a_block_re_indexes_faq_entries_embedding_it(publisher, index_now):
    """FAQ answers that embed a block are searchable with its new text once it is
    published, and no longer with the old."""
    from faq import services as faq_services

    block = mkblock("faq-hours", "open oldfaqword", publisher)
    faq_services.entry_create(
        question="When are you open?",
        answer="{{block:faq-hours}}",
        user=publisher,
        visibility="public",
    )
    index_now()
    assert hits(publisher, "oldfaqword")[2].total == 1
    edit_block(block, "open newfaqword", publisher)
    index_now()
    assert hits(publisher, "newfaqword")[2].total == 1
    assert hits(publisher, "oldfaqword")[2].total == 0


# -- validation at save time ---------------------------------------------------------


def _errors(exc_info):
    return " | ".join(exc_info.value.message_dict["body"])


def test_direct_cycle_is_refused(publisher):
    """A block embedding itself, or two blocks embedding each other, is refused with
    a message naming the line and the directive."""
    a = mkblock("cyc-a", "a text", publisher)
    with pytest.raises(ValidationError) as exc:
        edit_block(a, "first\n{{block:cyc-a}}", publisher)
    assert "Line 2" in _errors(exc) and "{{block:cyc-a}}" in _errors(exc)

    mkblock("cyc-b", "{{block:cyc-a}}", publisher)
    with pytest.raises(ValidationError) as exc:
        edit_block(a, "x\ny\n{{block:cyc-b}}", publisher)
    assert "Line 3" in _errors(exc) and "{{block:cyc-b}}" in _errors(exc)
    assert Block.objects.get(key="cyc-a").head_revision.body == "a text"


def test_indirect_cycle_is_refused(publisher):
    """A -> B -> C and then C -> A is refused (also when pinned)."""
    mkblock("ind-a", "a", publisher)
    mkblock("ind-b", "{{block:ind-a}}", publisher)
    c = mkblock("ind-c", "{{block:ind-b}}", publisher)
    a = Block.objects.get(key="ind-a")
    with pytest.raises(ValidationError) as exc:
        edit_block(a, "{{block:ind-c}}", publisher)
    assert "Line 1" in _errors(exc) and "{{block:ind-c}}" in _errors(exc)
    with pytest.raises(ValidationError):
        edit_block(a, "{{block:ind-c@1}}", publisher)
    assert BlockRevision.objects.filter(block=a).count() == 1
    assert c.revisions.count() == 1


def test_cycle_through_an_unpublished_revision_cannot_be_published(publisher):
    """A cycle is caught even when one side of it is still an unpublished draft:
    either saving the other side or publishing the draft is refused, so a published
    cycle never exists."""
    a = mkblock("draft-a", "a only", publisher)
    b = mkblock("draft-b", "b only", publisher)
    a_draft = edit_block(a, "{{block:draft-b}}", publisher, publish=False)
    refused = False
    try:
        edit_block(b, "{{block:draft-a}}", publisher)
    except ValidationError:
        refused = True
    if not refused:
        try:
            blocks.block_publish(
                block=Block.objects.get(pk=a.pk), revision=a_draft, user=publisher
            )
        except ValidationError:
            refused = True
    assert refused, "a cycle draft-a -> draft-b -> draft-a was saved and published"


def test_restoring_a_revision_that_makes_a_cycle_is_refused(publisher):
    """Restoring an old block revision is validated like an edit: a restore that
    would close a cycle is refused."""
    a = mkblock("rest-a", "a", publisher)
    mkblock("rest-b", "b", publisher)
    edit_block(a, "{{block:rest-b}}", publisher)  # a r2 embeds b
    edit_block(a, "a again", publisher)  # a r3 does not
    edit_block(Block.objects.get(key="rest-b"), "{{block:rest-a}}", publisher)
    old = BlockRevision.objects.get(block=a, number=2)
    with pytest.raises(ValidationError):
        blocks.block_restore(revision=old, user=publisher)


def _chain(user, n, prefix="d"):
    """Blocks d1 -> d2 -> ... -> dn (d1 embeds d2 ...); returns their keys."""
    keys = [f"{prefix}{i}" for i in range(1, n + 1)]
    mkblock(keys[-1], f"deepest {keys[-1]}", user)
    for i in range(n - 2, -1, -1):
        mkblock(keys[i], f"level {keys[i]}\n\n{{{{block:{keys[i + 1]}}}}}\n", user)
    return keys


def test_block_nesting_six_deep_is_refused(publisher):
    """Blocks may nest five deep; a block that would start a sixth level is refused
    with a message naming the line and the directive."""
    keys = _chain(publisher, 5)
    with pytest.raises(ValidationError) as exc:
        mkblock("d0", f"top\n\n{{{{block:{keys[0]}}}}}", publisher)
    assert "Line 3" in _errors(exc) and f"{{{{block:{keys[0]}}}}}" in _errors(exc)
    assert not Block.objects.filter(key="d0").exists()


def test_section_may_embed_a_chain_five_deep(publisher, roots):
    """A section embedding blocks nested five deep is accepted and shows all five
    texts (the renderer allows five levels, so save-time validation must too)."""
    keys = _chain(publisher, 5)
    five = make_section(
        roots["internal"], title="Five", body=f"{{{{block:{keys[0]}}}}}", user=publisher
    )
    html = staff_text(five)
    for key in keys:
        assert key in html
    assert "kb-block-missing" not in html


def test_deepening_an_embedded_chain_past_five_is_refused(publisher, roots):
    """A section embeds e1 and the blocks are then edited into e1 -> ... -> e5 (five
    levels, fine); making e5 embed a sixth block is refused at save time, rather than
    silently hiding text from the section's readers."""
    keys = [f"e{i}" for i in range(1, 7)]
    for key in keys:
        mkblock(key, f"text {key}", publisher)
    top = make_section(
        roots["internal"], title="Top", body="{{block:e1}}", user=publisher
    )
    for outer, inner in zip(keys[:4], keys[1:5], strict=True):
        edit_block(Block.objects.get(key=outer), f"{{{{block:{inner}}}}}", publisher)
    assert "text e5" in staff_text(top)
    with pytest.raises(ValidationError):
        edit_block(Block.objects.get(key="e5"), "{{block:e6}}", publisher)
    assert "text e5" in staff_text(top)


def test_missing_key_and_missing_revision_are_refused(publisher, roots):
    """A directive naming no block, or a revision the block does not have, is refused
    when saving a section or a block, naming line and directive; nothing is saved."""
    mkblock("exists", "here", publisher)
    with pytest.raises(ValidationError) as exc:
        make_section(
            roots["internal"],
            title="Bad",
            body="ok\n\n{{block:nope}}",
            user=publisher,
        )
    assert "Line 3" in _errors(exc) and "{{block:nope}}" in _errors(exc)
    section = make_section(roots["internal"], title="Good", body="ok", user=publisher)
    with pytest.raises(ValidationError) as exc:
        edit_section(section, "{{block:exists@7}}", publisher)
    assert "Line 1" in _errors(exc) and "{{block:exists@7}}" in _errors(exc)
    assert Section.objects.get(pk=section.pk).head_revision.body == "ok"
    with pytest.raises(ValidationError) as exc:
        mkblock("other", "a\nb\n{{block:nope}}", publisher)
    assert "Line 3" in _errors(exc)
    assert not Block.objects.filter(key="other").exists()


def test_invalid_directive_in_the_editor_is_a_form_error(publisher, roots, client):
    """Saving a section through the editor with a bad directive shows the message and
    saves nothing."""
    section = make_section(roots["internal"], title="Form", body="ok", user=publisher)
    client.force_login(publisher)
    response = client.post(
        reverse("manuals:edit", kwargs={"pk": section.pk}),
        {
            "title": "Form",
            "body": "line\n{{block:ghost}}",
            "base": section.head_revision.pk,
            "save": "1",
        },
    )
    assert response.status_code == 200
    assert "{{block:ghost}}" in response.content.decode()
    assert Revision.objects.filter(section=section).count() == 1


def test_directive_split_over_lines_is_tracked_like_any_other(publisher, roots):
    """Whatever the renderer expands as a directive is also validated and recorded
    in where-used (a directive with a line break inside the braces)."""
    block = mkblock("split", "splittext", publisher)
    section = make_section(
        roots["internal"], title="Split", body="{{\nblock:split}}", user=publisher
    )
    if "splittext" in staff_text(section):
        assert ("section", section.pk, None) in usage_of(block)


def test_deleted_block_shows_placeholder_for_editors_nothing_for_readers(
    publisher, roots, client
):
    """After a used block is deleted, its sections still render: editors see a
    visible placeholder naming the directive, readers see nothing of it, and neither
    gets an error page; the render cache does not keep the old text."""
    block = mkblock("gone", "goneword text", publisher)
    section = make_section(
        roots["public"],
        title="Uses gone",
        body="Before.\n\n{{block:gone}}\n\nAfter.",
        user=publisher,
    )
    reader = make_user("agent", username="reader2")
    client.force_login(reader)
    assert "goneword" in client.get(section.get_absolute_url()).content.decode()
    assert "goneword" in public_text(section)

    blocks.block_delete(block=Block.objects.get(pk=block.pk), user=publisher)
    assert not BlockUsage.objects.filter(object_id=section.pk).exists()

    response = client.get(section.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "goneword" not in html and "kb-block-missing" not in html
    assert "After." in html
    assert "goneword" not in public_text(section)

    client.force_login(publisher)
    response = client.get(section.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="kb-block-missing"' in html
    assert "{{block:gone}}" in html
    assert "goneword" not in html


def test_deleting_a_block_drops_its_text_from_search_everywhere(
    publisher, roots, index_now
):
    """Deleting a block re-indexes every section that embedded it, following or
    pinned, so search no longer finds its text anywhere."""
    block = mkblock("del-me", "deletedword", publisher)
    follow = make_section(
        roots["internal"], title="F", body="{{block:del-me}}", user=publisher
    )
    pinned = make_section(
        roots["internal"], title="P", body="{{block:del-me@1}}", user=publisher
    )
    index_now()
    assert hits(publisher, "deletedword")[0] == {follow.pk, pinned.pk}
    blocks.block_delete(block=Block.objects.get(pk=block.pk), user=publisher)
    index_now()
    assert hits(publisher, "deletedword")[0] == set()


def test_delete_asks_for_confirmation_and_lists_users(publisher, roots, client):
    """Deleting a used block first shows a confirmation listing the sections that
    use it; only the POST deletes."""
    mkblock("used", "x", publisher)
    make_section(
        roots["internal"], title="User one", body="{{block:used}}", user=publisher
    )
    make_section(
        roots["internal"], title="User two", body="{{block:used@1}}", user=publisher
    )
    client.force_login(publisher)
    url = reverse("manuals:block_delete", kwargs={"key": "used"})
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "User one" in html and "User two" in html
    assert Block.objects.filter(key="used").exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Block.objects.filter(key="used").exists()


# -- visibility ----------------------------------------------------------------------

CANARY = "zqinternalcanary"
PUBLIC_WORD = "zqpublicword"


@pytest.fixture
def leaky(publisher, roots, index_now):
    """A public section embedding a public block and an internal block (CANARY)."""
    mkblock("pub-part", f"Everyone reads {PUBLIC_WORD}.", publisher)
    mkblock(
        "staff-part", f"Staff only {CANARY}.", publisher, visibility=Visibility.INTERNAL
    )
    section = make_section(
        roots["public"],
        title="Mixed",
        body=f"{{{{block:pub-part}}}}\n\nInline {{{{block:staff-part}}}} end "
        f"{PUBLIC_WORD}.\n\n{{{{block:staff-part}}}}\n",
        visibility=Visibility.PUBLIC,
        user=publisher,
    )
    index_now()
    return section


def test_internal_block_never_reaches_the_public(leaky, agent, client, publisher):
    """An internal block in a public section is rendered for staff and never for the
    public: not on the public rendering, not in public search results or snippets,
    not through the preview, picker or block pages (those need a login)."""
    assert CANARY not in public_text(leaky)
    assert PUBLIC_WORD in public_text(leaky)
    assert CANARY in staff_text(leaky)
    assert CANARY not in str(render_markdown(leaky.head_revision.body, "public").html)
    assert CANARY not in render_markdown(leaky.head_revision.body, "public").text

    ids, text, results = hits(AnonymousUser(), CANARY)
    assert ids == set() and results.total == 0
    ids, text, _r = hits(AnonymousUser(), PUBLIC_WORD)
    assert ids == {leaky.pk}
    assert CANARY not in text
    ids, text, _r = hits(agent, CANARY)
    assert ids == {leaky.pk}

    anon = Client()
    login = reverse("login")
    for url in [
        leaky.get_absolute_url(),
        reverse("manuals:blocks"),
        reverse("manuals:block_picker") + "?q=staff",
        reverse("manuals:block", kwargs={"key": "staff-part"}),
        reverse("manuals:block_diff", kwargs={"key": "staff-part"}) + "?a=1&b=1",
        reverse("search:results") + f"?q={CANARY}",
    ]:
        response = anon.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
        assert CANARY not in response.content.decode()
    response = anon.post(reverse("manuals:preview"), {"body": "{{block:staff-part}}"})
    assert response.status_code == 302
    assert CANARY not in response.content.decode()

    agent_client = Client()
    agent_client.force_login(agent)
    html = agent_client.get(leaky.get_absolute_url()).content.decode()
    assert CANARY in html
    response = agent_client.post(
        reverse("manuals:preview"), {"body": "{{block:staff-part}}"}
    )
    assert response.status_code == 403


def test_internal_block_in_public_faq_answer_stays_internal(publisher, index_now):
    """A public FAQ answer embedding an internal block shows it to staff only, in the
    FAQ page and in search."""
    from faq import selectors as faq_selectors
    from faq import services as faq_services

    mkblock("faq-secret", f"secret {CANARY}", publisher, visibility="internal")
    entry = faq_services.entry_create(
        question="Public question zqfaqq",
        answer="Public answer.\n\n{{block:faq-secret}}\n",
        user=publisher,
        visibility="public",
    )
    index_now()
    assert CANARY not in faq_selectors.rendered_answer(entry, AnonymousUser())
    assert CANARY in faq_selectors.rendered_answer(entry, publisher)
    assert hits(AnonymousUser(), CANARY)[2].total == 0
    assert hits(publisher, CANARY)[2].total == 1


def test_restricted_block_only_for_its_group(publisher, roots, admin_user):
    """A block restricted to a group is rendered only for that group's members (and
    admins); other staff see neither its text nor it in the library or picker."""
    vip = Group.objects.create(name="vip")
    mkblock(
        "vip-only", "vipcanary text", publisher, visibility="restricted", groups=[vip]
    )
    section = make_section(
        roots["internal"], title="Has vip", body="{{block:vip-only}}", user=admin_user
    )
    member = make_user("editor", username="member")
    member.groups.add(vip)
    outsider = make_user("editor", username="outsider")
    rev = Section.objects.get(pk=section.pk).published_revision
    assert "vipcanary" in render_revision(rev, member).html
    assert "vipcanary" in render_revision(rev, admin_user).html
    assert "vipcanary" not in render_revision(rev, outsider).html
    assert "vipcanary" not in render_revision(rev, "internal:").html

    c = Client()
    c.force_login(outsider)
    assert "vip-only" not in c.get(reverse("manuals:blocks")).content.decode()
    picker = c.get(reverse("manuals:block_picker") + "?q=vip").json()
    assert picker["results"] == []
    assert (
        c.get(reverse("manuals:block", kwargs={"key": "vip-only"})).status_code == 404
    )
    c.force_login(member)
    picker = c.get(reverse("manuals:block_picker") + "?q=vip").json()
    assert [r["key"] for r in picker["results"]] == ["vip-only"]


def test_warning_when_saving_public_section_with_internal_block(
    publisher, roots, client
):
    """Saving a public section that embeds a non-public block warns the editor and
    names the block; an internal section or a public block gives no warning."""
    mkblock("warn-int", "int", publisher, visibility="internal")
    mkblock("warn-pub", "pub", publisher)
    public = make_section(
        roots["public"], title="P", visibility="public", user=publisher
    )
    internal = make_section(roots["internal"], title="I", user=publisher)
    client.force_login(publisher)
    msgs = messages_of(_edit_post(client, public, "{{block:warn-int}}"))
    assert any("warn-int" in m for m in msgs), msgs
    msgs = messages_of(_edit_post(client, public, "{{block:warn-pub}}"))
    assert not any("warn-pub" in m for m in msgs), msgs
    msgs = messages_of(_edit_post(client, internal, "{{block:warn-int}}"))
    assert not any("warn-int" in m for m in msgs), msgs


def test_warning_when_creating_public_section_with_internal_block(
    publisher, roots, client
):
    """Creating a public section that embeds an internal block warns as well."""
    mkblock("warn-new", "int", publisher, visibility="internal")
    client.force_login(publisher)
    response = client.post(
        reverse("manuals:create_child", kwargs={"parent_pk": roots["public"].pk}),
        {
            "title": "New public",
            "kind": "article",
            "visibility": "public",
            "body": "{{block:warn-new}}",
            "publish": "1",
        },
        follow=True,
    )
    assert Section.objects.filter(title="New public").exists()
    assert any("warn-new" in m for m in messages_of(response))


def test_warning_for_internal_block_nested_in_a_public_block(publisher, roots, client):
    """The warning also names an internal block reached through a public block."""
    mkblock("nest-int", "int", publisher, visibility="internal")
    mkblock("nest-pub", "{{block:nest-int}}", publisher)
    public = make_section(
        roots["public"], title="P2", visibility="public", user=publisher
    )
    client.force_login(publisher)
    msgs = messages_of(_edit_post(client, public, "{{block:nest-pub}}"))
    assert any("nest-int" in m for m in msgs), msgs


# -- query counts --------------------------------------------------------------------


def _count_page(client, url, *, cold):
    if cold:
        cache.clear()
    else:
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
@pytest.mark.parametrize("who", ["agent", "publisher"])
def test_page_with_20_blocks_costs_no_more_queries_than_with_2(
    publisher, agent, roots, client, who, nested
):
    """A section page embedding 20 blocks (each embedding a shared inner block in the
    nested case) makes as many queries as one embedding 2, with a cold and with a
    warm render cache, for readers and for editors."""
    if nested:
        mkblock("shared-inner", "shared inner text", publisher)
    for i in range(20):
        body = f"text of block {i}"
        if nested:
            body += "\n\n{{block:shared-inner}}\n"
        mkblock(f"q{i:02}", body, publisher)
    section = make_section(roots["internal"], title="Q", body="x", user=publisher)
    client.force_login(agent if who == "agent" else publisher)
    url = section.get_absolute_url()
    client.get(url)  # first request of the process: content types, sessions...

    counts = {}
    for n in (2, 20):
        body = "\n\n".join(f"{{{{block:q{i:02}}}}}" for i in range(n))
        edit_section(section, body, publisher)
        html = client.get(url).content.decode()
        assert html.count('<div class="kb-block">') == n * (2 if nested else 1)
        counts[n] = (
            _count_page(client, url, cold=True),
            _count_page(client, url, cold=False),
        )
    assert counts[20] == counts[2], counts


# -- the library: create, edit, revisions, diff, restore ---------------------------


def test_create_edit_diff_restore_through_the_views(publisher, client):
    """An editor creates a block from the library, edits it, compares revisions and
    restores an old one as a new revision; a stale edit is merged."""
    client.force_login(publisher)
    response = client.post(
        reverse("manuals:block_create"),
        {
            "key": "made-in-ui",
            "title": "Made in UI",
            "visibility": "internal",
            "body": "line one\nmiddle\nline two\n",
            "publish": "1",
        },
    )
    assert response.status_code == 302
    block = Block.objects.get(key="made-in-ui")
    assert block.owner == publisher
    assert block.visibility == "internal"
    assert block.published_revision.number == 1
    assert response["Location"] == block.get_absolute_url()

    edit_url = reverse("manuals:block_edit", kwargs={"key": "made-in-ui"})
    r1 = block.head_revision
    response = client.post(
        edit_url,
        {
            "title": "Made in UI",
            "body": "line ONE\nmiddle\nline two\n",
            "base": r1.pk,
            "save": "1",
        },
    )
    assert response.status_code == 302
    # A stale edit from r1 touching another line merges with r2.
    response = client.post(
        edit_url,
        {
            "title": "Made in UI",
            "body": "line one\nmiddle\nline TWO\n",
            "base": r1.pk,
            "save": "1",
        },
    )
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.head_revision.number == 3
    assert block.head_revision.body == "line ONE\nmiddle\nline TWO\n"
    assert block.published_revision.number == 1

    diff = client.get(
        reverse("manuals:block_diff", kwargs={"key": "made-in-ui"}) + "?a=1&b=3"
    )
    assert diff.status_code == 200
    assert "ONE" in diff.content.decode() and "TWO" in diff.content.decode()

    response = client.post(
        reverse("manuals:block_restore", kwargs={"key": "made-in-ui", "number": 1})
    )
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.head_revision.number == 4
    assert block.head_revision.body == "line one\nmiddle\nline two\n"

    detail = client.get(block.get_absolute_url()).content.decode()
    for n in (1, 2, 3, 4):
        assert f"#{n}" in detail


@pytest.mark.parametrize(
    "key, title",
    [
        ("taken", "Duplicate key"),
        ("new", "Reserved new"),
        ("picker", "Reserved picker"),
        ("bad key!", "Space and bang"),
        ("中文", "Not ASCII"),
        ("a/b", "Slash"),
    ],
)
def test_bad_key_is_a_form_error_and_changes_nothing(publisher, client, key, title):
    """A duplicate key, a reserved key or invalid characters give a form error on the
    create page and create nothing."""
    mkblock("taken", "already here", publisher)
    client.force_login(publisher)
    before = (Block.objects.count(), BlockRevision.objects.count())
    response = client.post(
        reverse("manuals:block_create"),
        {
            "key": key,
            "title": title,
            "visibility": "public",
            "body": "b",
            "publish": "1",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors
    assert (Block.objects.count(), BlockRevision.objects.count()) == before
    assert Block.objects.get(key="taken").head_revision.body == "already here"


def test_picker_searches_key_and_title(publisher, client):
    """The picker returns blocks whose key or title contains the query, with their
    directive and published revision."""
    mkblock("refund-window", "x", publisher)
    blocks.block_create(
        key="greet",
        title="Friendly opening",
        body="y",
        visibility="public",
        user=publisher,
    )
    client.force_login(publisher)
    url = reverse("manuals:block_picker")
    assert [r["key"] for r in client.get(url + "?q=REFUND").json()["results"]] == [
        "refund-window"
    ]
    results = client.get(url + "?q=friendly").json()["results"]
    assert [(r["key"], r["title"], r["directive"], r["revision"]) for r in results] == [
        ("greet", "Friendly opening", "{{block:greet}}", 1)
    ]


# -- permissions and CSRF ------------------------------------------------------------


@pytest.fixture
def perm_world(module_world, db):
    return module_world.get()["perm"]


def build_perm_world(publisher, roots):
    block = mkblock("perm", "perm r1", publisher)
    edit_block(block, "perm r2", publisher, publish=False)
    section = make_section(
        roots["internal"], title="Perm user", body="{{block:perm@1}}", user=publisher
    )
    # publish r2 so the section's pin is outdated
    blocks.block_publish(
        block=Block.objects.get(pk=block.pk),
        revision=BlockRevision.objects.get(block=block, number=2),
        user=publisher,
    )
    edit_block(block, "perm r3 draft", publisher, publish=False)
    return {"block": Block.objects.get(pk=block.pk), "section": section}


def _state():
    return (
        list(
            Block.objects.values_list(
                "key", "head_revision_id", "published_revision_id"
            )
        ),
        BlockRevision.objects.count(),
        Revision.objects.count(),
        list(Section.objects.values_list("pk", "published_revision_id")),
    )


VIEWS = [
    # name, method, url kwargs kind, expected for agent, editor, publisher, admin
    ("blocks", "get", None, (200, 200, 200, 200)),
    ("block_create", "get", None, (403, 200, 200, 200)),
    ("block_picker", "get", None, (403, 200, 200, 200)),
    ("block", "get", "key", (200, 200, 200, 200)),
    ("block_edit", "get", "key", (403, 200, 200, 200)),
    ("block_edit", "post", "key", (403, 302, 302, 302)),
    ("block_publish", "get", "key", (403, 403, 200, 200)),
    ("block_publish", "post", "key", (403, 403, 302, 302)),
    ("block_diff", "get", "key", (403, 200, 200, 200)),  # history: editors
    ("block_restore", "post", "restore", (403, 302, 302, 302)),
    ("block_delete", "get", "key", (403, 200, 200, 200)),
    ("block_delete", "post", "key", (403, 302, 302, 302)),
    ("update_pin", "post", "pin", (403, 302, 302, 302)),
]
ROLES = ["anonymous", "agent", "editor", "publisher", "admin"]


def _url(name, kind, world):
    kwargs = {
        None: {},
        "key": {"key": "perm"},
        "restore": {"key": "perm", "number": 1},
        "pin": {"pk": world["section"].pk, "key": "perm"},
    }[kind]
    url = reverse(f"manuals:{name}", kwargs=kwargs)
    if name == "block_diff":
        url += "?a=1&b=2"
    return url


def _data(name, world):
    if name == "block_edit":
        return {
            "title": "Perm",
            "body": "perm edited",
            "base": world["block"].head_revision_id,
        }
    return {}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method, kind, expected", VIEWS)
def test_block_view_permissions_by_role(
    perm_world,
    role,
    name,
    method,
    kind,
    expected,
    agent,
    editor,
    publisher,
    admin_user,
):
    """Every block view answers each role as the roles define: anonymous visitors are
    sent to log in, agents read, editors edit and delete, publishers publish; a
    refused request changes nothing."""
    client = Client()
    users = {
        "agent": agent,
        "editor": editor,
        "publisher": publisher,
        "admin": admin_user,
    }
    if role != "anonymous":
        client.force_login(users[role])
    url = _url(name, kind, perm_world)
    before = _state()
    response = getattr(client, method)(url, _data(name, perm_world))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert _state() == before
        return
    status = expected[ROLES.index(role) - 1]
    assert response.status_code == status, (role, name, method, response.status_code)
    if status >= 400 or method == "get":
        assert _state() == before
    else:
        assert _state() != before


POSTS = [
    (
        "block_create",
        None,
        {"key": "csrf-new", "title": "t", "visibility": "public", "body": "b"},
    ),
    ("block_edit", "key", {"title": "t", "body": "csrf edit"}),
    ("block_publish", "key", {}),
    ("block_restore", "restore", {}),
    ("block_delete", "key", {}),
    ("update_pin", "pin", {}),
]


@pytest.mark.parametrize("name, kind, data", POSTS)
def test_block_posts_need_csrf_token(perm_world, publisher, name, kind, data):
    """Every block POST without a CSRF token is refused and changes nothing; with the
    token from the page it goes through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(publisher)
    url = _url(name, kind, perm_world)
    before = _state()
    response = client.post(url, data)
    assert response.status_code == 403
    assert _state() == before

    client.get(reverse("manuals:blocks"))
    token = client.cookies["csrftoken"].value
    if name == "block_edit":
        data = {**data, "base": perm_world["block"].head_revision_id}
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert _state() != before


def test_usage_rows_are_generic(publisher, roots):
    """Where-used rows point at their user through a content type, so sections,
    blocks and other apps' objects share one table."""
    mkblock("gen", "g", publisher)
    section = make_section(
        roots["internal"], title="G", body="{{block:gen}}", user=publisher
    )
    usage = BlockUsage.objects.get(block__key="gen")
    assert usage.content_type == ContentType.objects.get_for_model(Section)
    assert usage.user == section
    directives.refresh_usage(section, ["nothing"])
    assert not BlockUsage.objects.filter(block__key="gen").exists()


def test_restore_of_a_section_revision_is_validated(publisher, roots):
    """Restoring an old section revision whose block has since been deleted is
    refused like saving it would be, instead of writing a revision pointing
    nowhere."""
    block = mkblock("old-one", "old", publisher)
    section = make_section(
        roots["internal"], title="R", body="{{block:old-one}}", user=publisher
    )
    edit_section(section, "plain", publisher)
    blocks.block_delete(block=Block.objects.get(pk=block.pk), user=publisher)
    with pytest.raises(ValidationError):
        revision_restore(
            revision=Revision.objects.get(section=section, number=1), user=publisher
        )


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests read messages in English; the interface defaults to Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
