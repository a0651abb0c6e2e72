"""Services: creating, saving, merging, publishing, restoring and deleting sections."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from manuals.models import Kind, Revision, Section, Visibility
from manuals.sections import services
from tests.factories import make_section, make_user

BODY = "first line\n\nsecond line\n\nthird line\n"


def assert_tree_ok():
    problems = Section.objects.find_problems()
    assert not any(problems), problems


@pytest.fixture
def section(admin_user):
    """A published internal article with a three-paragraph body (revision 1)."""
    return make_section(title="Refunds", body=BODY, user=admin_user)


# --- create_section -------------------------------------------------------------


def test_create_section_writes_revision_one(publisher):
    """A new section starts with revision 1 holding its title and body."""
    section = services.section_create(
        parent=None,
        title="  Manual  ",
        body="hello",
        kind=Kind.MANUAL,
        visibility=Visibility.INTERNAL,
        user=publisher,
    )
    revisions = list(section.revisions.all())
    assert [r.number for r in revisions] == [1]
    assert revisions[0].title == "Manual"
    assert revisions[0].body == "hello"
    assert revisions[0].author == publisher
    assert section.head_revision == revisions[0]
    assert section.owner == publisher
    assert_tree_ok()


def test_create_section_publishes_for_publisher_only(publisher, editor):
    """A publisher's new section is published at once; an editor's stays a draft."""
    published = services.section_create(
        parent=None,
        title="P",
        kind=Kind.MANUAL,
        visibility=Visibility.INTERNAL,
        user=publisher,
    )
    draft = services.section_create(
        parent=None,
        title="E",
        kind=Kind.MANUAL,
        visibility=Visibility.INTERNAL,
        user=editor,
    )
    assert published.published_revision == published.head_revision
    assert published.published_at is not None
    assert draft.published_revision is None
    assert draft.head_revision is not None


def test_create_section_publish_false_keeps_draft(publisher):
    """A publisher may ask for a draft; nothing is published then."""
    section = services.section_create(
        parent=None,
        title="Draft",
        kind=Kind.MANUAL,
        visibility=Visibility.INTERNAL,
        user=publisher,
        publish=False,
    )
    assert section.published_revision is None


def test_editor_cannot_force_publish_on_create(editor):
    """Asking to publish without the publish permission is refused, nothing is made."""
    with pytest.raises(PermissionDenied):
        services.section_create(
            parent=None,
            title="Sneaky",
            kind=Kind.MANUAL,
            visibility=Visibility.INTERNAL,
            user=editor,
            publish=True,
        )
    assert not Section.objects.filter(title="Sneaky").exists()


@pytest.mark.parametrize(
    "who, title, error",
    [
        ("agent", "X", PermissionDenied),  # an agent cannot create sections
        ("publisher", "   ", ValidationError),  # a blank title is a validation error
    ],
    ids=["needs-permission", "refuses-blank-title"],
)
def test_create_section_refused_creates_nothing(request, who, title, error):
    """A refused create (no permission, blank title) creates nothing."""
    with pytest.raises(error):
        services.section_create(
            parent=None,
            title=title,
            kind=Kind.MANUAL,
            visibility=Visibility.INTERNAL,
            user=request.getfixturevalue(who),
        )
    assert Section.objects.count() == 0
    assert Revision.objects.count() == 0


def test_create_child_under_unreadable_parent_refused(admin_user):
    """An editor outside a restricted group cannot add a child to that section."""
    group = Group.objects.create(name="vip")
    parent = make_section(
        title="VIP", visibility=Visibility.RESTRICTED, groups=[group], user=admin_user
    )
    editor = make_user("editor", "publisher", username="outsider")
    with pytest.raises(PermissionDenied):
        services.section_create(
            parent=parent,
            title="child",
            kind=Kind.ARTICLE,
            visibility=Visibility.RESTRICTED,
            user=editor,
        )
    assert Section.objects.count() == 1  # only the restricted parent


def test_create_clamps_visibility_to_parent(admin_user):
    """A public child of an internal section becomes internal."""
    parent = make_section(title="Internal", user=admin_user)
    child = make_section(
        parent, title="Public?", visibility=Visibility.PUBLIC, user=admin_user
    )
    assert child.visibility == Visibility.INTERNAL
    assert_tree_ok()


def test_create_clamps_to_restricted_parent_groups(admin_user):
    """A child of a restricted section is restricted to (a subset of) its groups."""
    g1, g2, g3 = (Group.objects.create(name=n) for n in ("g1", "g2", "g3"))
    parent = make_section(
        title="R", visibility=Visibility.RESTRICTED, groups=[g1, g2], user=admin_user
    )
    wide = make_section(
        parent, title="wide", visibility=Visibility.PUBLIC, user=admin_user
    )
    other = make_section(
        parent,
        title="other",
        visibility=Visibility.RESTRICTED,
        groups=[g3],
        user=admin_user,
    )
    narrower = make_section(
        parent,
        title="narrower",
        visibility=Visibility.RESTRICTED,
        groups=[g2, g3],
        user=admin_user,
    )
    assert wide.visibility == Visibility.RESTRICTED
    assert set(wide.groups.all()) == {g1, g2}
    # No overlap with the parent's groups: falls back to the parent's groups.
    assert set(other.groups.all()) == {g1, g2}
    assert set(narrower.groups.all()) == {g2}


# --- revision numbering and immutability ----------------------------------------


def test_revision_numbers_count_per_section(section, editor, admin_user):
    """Each section numbers its own revisions 1, 2, 3..."""
    other = make_section(title="Other", user=admin_user)
    for n in range(2):
        services.section_save(
            section=section,
            user=editor,
            title="Refunds",
            body=f"{BODY}edit {n}\n",
            base=Section.objects.get(pk=section.pk).head_revision,
        )
    services.section_save(
        section=other, user=editor, title="Other", body="x", base=other.head_revision
    )
    assert list(
        section.revisions.order_by("number").values_list("number", flat=True)
    ) == [1, 2, 3]
    assert list(
        other.revisions.order_by("number").values_list("number", flat=True)
    ) == [1, 2]
    section.refresh_from_db()
    assert section.head_revision.number == 3


def test_saved_revision_is_immutable(section):
    """Saving an existing revision again raises and leaves the stored text alone."""
    revision = section.head_revision
    revision.body = "rewritten history"
    with pytest.raises(ValidationError):
        revision.save()
    assert Revision.objects.get(pk=revision.pk).body == BODY


def test_save_revision_unchanged_writes_nothing(section, editor):
    """Saving the same title and body again creates no new revision."""
    result = services.section_save(
        section=section,
        user=editor,
        title="Refunds",
        body=BODY,
        base=section.head_revision,
    )
    assert result.status == "unchanged"
    assert section.revisions.count() == 1


def test_save_revision_normalizes_crlf(section, editor):
    """Browser line endings (CRLF) are stored as plain newlines."""
    result = services.section_save(
        section=section,
        user=editor,
        title="Refunds",
        body="a\r\nb\r\n",
        base=section.head_revision,
    )
    assert result.revision.body == "a\nb\n"


def test_save_revision_requires_edit_permission(section, agent):
    """An agent cannot save a revision."""
    with pytest.raises(PermissionDenied):
        services.section_save(
            section=section, user=agent, title="x", body="y", base=section.head_revision
        )
    assert section.revisions.count() == 1


def test_save_revision_refuses_blank_title(section, editor):
    """A blank title is refused and no revision is written."""
    with pytest.raises(ValidationError):
        services.section_save(
            section=section,
            user=editor,
            title=" ",
            body="y",
            base=section.head_revision,
        )
    assert section.revisions.count() == 1


def test_draft_keeps_published_title_and_text(section, editor):
    """Saving a draft moves the head but readers keep the published revision."""
    published = section.published_revision
    services.section_save(
        section=section, user=editor, title="Renamed draft", body="new", base=published
    )
    section.refresh_from_db()
    assert section.published_revision == published
    assert section.head_revision.number == 2
    assert section.title == "Refunds"
    assert section.has_unpublished_changes


# --- three-way merge --------------------------------------------------------------


def test_stale_base_non_overlapping_edit_merges(section, editor, admin_user):
    """Two editors changing different paragraphs: both changes end up in the text."""
    base = section.head_revision
    services.section_save(
        section=section,
        user=admin_user,
        title="Refunds",
        body=BODY.replace("first line", "FIRST (theirs)"),
        base=base,
    )
    result = services.section_save(
        section=section,
        user=editor,
        title="Refunds",
        body=BODY.replace("third line", "THIRD (mine)"),
        base=base,
    )
    assert result.status == "merged"
    assert result.ok
    assert "FIRST (theirs)" in result.revision.body
    assert "THIRD (mine)" in result.revision.body
    assert result.revision.number == 3
    assert result.head.number == 2


def test_stale_base_title_change_merges_with_body_change(section, editor, admin_user):
    """One editor renames, the other edits the body: both are kept."""
    base = section.head_revision
    services.section_save(
        section=section, user=admin_user, title="Refund rules", body=BODY, base=base
    )
    result = services.section_save(
        section=section, user=editor, title="Refunds", body=BODY + "added\n", base=base
    )
    assert result.status == "merged"
    assert result.revision.title == "Refund rules"
    assert result.revision.body.endswith("added\n")


def test_overlapping_edit_is_a_conflict_and_saves_nothing(section, editor, admin_user):
    """Both editors change the same line: nothing is saved, both texts come back."""
    base = section.head_revision
    theirs = services.section_save(
        section=section,
        user=admin_user,
        title="Refunds",
        body=BODY.replace("second line", "THEIR second"),
        base=base,
    ).revision
    result = services.section_save(
        section=section,
        user=editor,
        title="Refunds",
        body=BODY.replace("second line", "MY second"),
        base=base,
    )
    assert result.status == "conflict"
    assert not result.ok
    assert result.revision is None
    assert result.head == theirs
    assert "THEIR second" in result.conflict_body
    assert "MY second" in result.conflict_body
    for marker in ("<<<<<<<", "=======", ">>>>>>>"):
        assert marker in result.conflict_body
    section.refresh_from_db()
    assert section.head_revision == theirs
    assert section.revisions.count() == 2


def test_conflicting_titles_are_a_conflict(section, editor, admin_user):
    """Two different renames from the same base conflict instead of one winning."""
    base = section.head_revision
    services.section_save(
        section=section, user=admin_user, title="Theirs", body=BODY, base=base
    )
    result = services.section_save(
        section=section, user=editor, title="Mine", body=BODY, base=base
    )
    assert result.status == "conflict"
    assert result.conflict_title == "Mine"
    assert Section.objects.get(pk=section.pk).head_revision.title == "Theirs"


def test_merge_of_section_created_with_browser_line_endings(
    editor_client, editor, admin_user
):
    """A section created from the browser form (CRLF) still merges later edits.

    Two editors change different paragraphs of a section whose first revision was
    posted by a browser with CRLF line endings: the second save must merge, not
    report a conflict on every line.
    """
    parent = make_section(title="Parent", user=admin_user)
    editor_client.post(
        reverse("manuals:create_child", args=[parent.pk]),
        {
            "title": "Browser made",
            "kind": Kind.ARTICLE,
            "visibility": Visibility.INTERNAL,
            "body": "one\r\n\r\ntwo\r\n\r\nthree\r\n",
        },
    )
    section = Section.objects.get(title="Browser made")
    base = section.head_revision
    services.section_save(
        section=section,
        user=admin_user,
        title="Browser made",
        body="ONE\n\ntwo\n\nthree",  # the form strips the final newline
        base=base,
    )
    result = services.section_save(
        section=section,
        user=editor,
        title="Browser made",
        body="one\n\ntwo\n\nTHREE",
        base=base,
    )
    assert result.status == "merged", result.conflict_body
    assert "ONE" in result.revision.body
    assert "THREE" in result.revision.body


# --- publishing -------------------------------------------------------------------


def test_publish_requires_permission(section, editor):
    """An editor without the publish permission gets PermissionDenied."""
    result = services.section_save(
        section=section,
        user=editor,
        title="Refunds",
        body="draft",
        base=section.head_revision,
    )
    with pytest.raises(PermissionDenied):
        services.revision_publish(
            section=section, revision=result.revision, user=editor
        )
    section.refresh_from_db()
    assert section.published_revision.number == 1


def test_publish_makes_revision_visible(section, publisher):
    """Publishing a revision updates what readers see, including the title."""
    revision = services.section_save(
        section=section,
        user=publisher,
        title="Refund policy",
        body="v2",
        base=section.head_revision,
    ).revision
    services.revision_publish(section=section, revision=revision, user=publisher)
    section.refresh_from_db()
    assert section.published_revision == revision
    assert section.title == "Refund policy"
    assert section.slug == "refund-policy"
    assert not section.has_unpublished_changes


def test_publish_older_revision(section, publisher):
    """A publisher may publish an older revision (roll back what readers see)."""
    first = section.head_revision
    second = services.section_save(
        section=section, user=publisher, title="Refunds", body="v2", base=first
    ).revision
    services.revision_publish(section=section, revision=second, user=publisher)
    services.revision_publish(section=section, revision=first, user=publisher)
    section.refresh_from_db()
    assert section.published_revision == first
    assert section.head_revision == second


def test_publish_revision_of_other_section_refused(section, publisher, admin_user):
    """A revision of another section cannot be published here."""
    other = make_section(title="Other", user=admin_user)
    with pytest.raises(ValidationError):
        services.revision_publish(
            section=section, revision=other.head_revision, user=publisher
        )
    section.refresh_from_db()
    assert section.published_revision.section_id == section.pk


# --- restore ----------------------------------------------------------------------


def test_restore_creates_new_revision(section, editor):
    """Restoring revision 1 writes revision 3 with its text; 1 and 2 stay as they were."""
    first = section.head_revision
    services.section_save(
        section=section, user=editor, title="Changed", body="changed", base=first
    )
    restored = services.revision_restore(revision=first, user=editor)
    assert restored.number == 3
    assert restored.title == first.title
    assert restored.body == first.body
    assert restored.base.number == 2
    texts = dict(section.revisions.values_list("number", "body"))
    assert texts == {1: BODY, 2: "changed", 3: BODY}
    section.refresh_from_db()
    assert section.head_revision == restored
    assert section.published_revision == first  # an editor's restore is a draft


def test_restore_and_publish(section, publisher):
    """A publisher can restore and publish in one step."""
    first = section.head_revision
    services.section_save(
        section=section, user=publisher, title="X", body="x", base=first
    )
    new = services.revision_restore(revision=first, user=publisher, publish_now=True)
    section.refresh_from_db()
    assert section.published_revision == new


def test_restore_requires_edit_permission(section, agent):
    """An agent cannot restore revisions."""
    with pytest.raises(PermissionDenied):
        services.revision_restore(revision=section.head_revision, user=agent)
    assert section.revisions.count() == 1


# --- settings -----------------------------------------------------------------------


def test_settings_narrowing_passes_down(admin_user, editor):
    """Restricting a chapter restricts every section inside it to the same groups."""
    group = Group.objects.create(name="team")
    chapter = make_section(
        title="Chapter", visibility=Visibility.PUBLIC, user=admin_user
    )
    child = make_section(
        chapter, title="Child", visibility=Visibility.PUBLIC, user=admin_user
    )
    grandchild = make_section(
        child, title="Grandchild", visibility=Visibility.PUBLIC, user=admin_user
    )
    services.section_update_settings(
        section=chapter,
        user=editor,
        kind=Kind.CHAPTER,
        visibility=Visibility.RESTRICTED,
        groups=[group],
    )
    for node in (chapter, child, grandchild):
        node.refresh_from_db()
        assert node.visibility == Visibility.RESTRICTED
        assert list(node.groups.all()) == [group]


def test_settings_cannot_widen_beyond_parent(admin_user, editor):
    """Setting a child of an internal section to public leaves it internal."""
    parent = make_section(title="Internal", user=admin_user)
    child = make_section(parent, title="Child", user=admin_user)
    updated = services.section_update_settings(
        section=child, user=editor, kind=Kind.ARTICLE, visibility=Visibility.PUBLIC
    )
    assert updated.visibility == Visibility.INTERNAL


def test_settings_tags_owner_and_kind(section, editor):
    """Settings store kind, owner, review date and tags (deduplicated by name)."""
    import datetime

    services.section_update_settings(
        section=section,
        user=editor,
        kind=Kind.POLICY,
        visibility=Visibility.INTERNAL,
        owner=editor,
        review_by=datetime.date(2030, 1, 1),
        tags=["退款", " vip ", ""],
    )
    section.refresh_from_db()
    assert section.kind == Kind.POLICY
    assert section.owner == editor
    assert section.review_by == datetime.date(2030, 1, 1)
    assert sorted(t.name for t in section.tags.all()) == ["vip", "退款"]


def test_settings_requires_edit_permission(section, agent):
    """An agent cannot change settings."""
    with pytest.raises(PermissionDenied):
        services.section_update_settings(
            section=section, user=agent, kind=Kind.SOP, visibility=Visibility.PUBLIC
        )
    section.refresh_from_db()
    assert section.kind == Kind.ARTICLE


# --- delete -------------------------------------------------------------------------


def test_delete_trashes_subtree_then_purge_removes_it(admin_user, editor):
    """Deleting a chapter hides it and its subsections from everyone (history kept);
    purging it from the trash removes the subtree and all its revisions."""
    manual = make_section(title="Manual", user=admin_user)
    chapter = make_section(manual, title="Chapter", user=admin_user)
    child = make_section(chapter, title="Child", body="x", user=admin_user)
    make_section(child, title="Grandchild", user=admin_user)
    sibling = make_section(manual, title="Sibling", user=admin_user)
    services.section_save(
        section=child, user=editor, title="Child", body="y", base=child.head_revision
    )
    count = services.section_delete(section=chapter, user=editor)
    assert count == 3
    for user in (editor, admin_user):
        assert set(
            Section.objects.readable_by(user).values_list("title", flat=True)
        ) == {"Manual", "Sibling"}
    assert Revision.objects.filter(section__in_trash=True).count() == 4
    assert_tree_ok()
    with pytest.raises(PermissionDenied):
        services.section_purge(section=chapter, user=editor)
    assert services.section_purge(section=chapter, user=admin_user) == 3
    assert set(Section.objects.values_list("title", flat=True)) == {"Manual", "Sibling"}
    assert set(Revision.objects.values_list("section__title", flat=True)) == {
        "Manual",
        "Sibling",
    }
    manual.refresh_from_db()
    assert manual.numchild == 1
    assert list(Section.objects.get_children(manual)) == [sibling]
    assert_tree_ok()


def test_delete_requires_permission(section, agent):
    """An agent cannot delete."""
    with pytest.raises(PermissionDenied):
        services.section_delete(section=section, user=agent)
    assert Section.objects.filter(pk=section.pk).exists()
