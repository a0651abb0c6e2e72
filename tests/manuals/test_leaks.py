"""Lists, counts and "where used" pass the same read check as the page they point to.

Each test plants a canary in content a user may not read and asserts it never shows
on the block pages, the trash, the review queue or the audit log (issue: read
leaks), and that the one write hole (restoring an unreadable trashed section) is
closed.
"""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from manuals.blocks import services as blocks
from manuals.editing import services as collaboration
from manuals.models import AuditEntry, Block, Section, Visibility
from manuals.sections import services
from manuals.sections.services import section_save
from tests.factories import make_admin, make_section, make_user

RESTRICTED = "CANARY-RESTRICTED-7f3a"
DRAFT = "CANARY-DRAFT-91c2"
NEVER = "CANARY-NEVER-PUBLISHED-0b5e"
TRASHED = "CANARY-TRASHED-44d1"


@pytest.fixture
def world(db):
    """A restricted section (group "secret") and public/internal sections that embed
    one internal block, a block with a draft, a never-published section, and the
    people who look at them."""
    admin = make_admin("root")
    secret = Group.objects.create(name="secret")
    manual = make_section(title="手册", kind="manual", user=admin)
    block = blocks.block_create(
        key="greet",
        title="问候",
        body="您好",
        visibility=Visibility.INTERNAL,
        user=admin,
        publish=True,
    )
    restricted = make_section(
        manual,
        title=f"机密 {RESTRICTED}",
        body="{{block:greet}}",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin,
    )
    never = make_section(manual, title=f"草稿 {NEVER}", user=admin, publish=False)
    readable = make_section(manual, title="问候语", body="{{block:greet}}", user=admin)
    # An unpublished change to the block: drafts are for editors.
    block = Block.objects.get(pk=block.pk)
    blocks.block_save(
        block=block,
        user=admin,
        title="问候",
        body=f"您好 {DRAFT}",
        base=block.head_revision,
    )
    people = {
        "agent": make_user("agent", username="agent"),
        "insider": make_user("agent", username="insider"),
        "editor": make_user("editor", username="editor"),
        "outsider_publisher": make_user("editor", "publisher", username="pub"),
        "manager": make_user("manager", username="manager"),
        "admin": admin,
    }
    people["insider"].groups.add(secret)
    return {
        "people": people,
        "restricted": restricted,
        "never": never,
        "readable": readable,
        "secret": secret,
        "block": Block.objects.get(pk=block.pk),
    }


def get(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("page", ["manuals:block", "manuals:block_delete"])
@pytest.mark.parametrize("who", ["agent", "editor", "manager"])
def test_where_used_names_only_readable_sections(world, page, who):
    """The block page and its delete page list the sections that embed the block
    only where the viewer may read them; editors see a count of the rest."""
    response = get(world["people"][who], reverse(page, args=["greet"]))
    if response.status_code == 403:  # delete is for editors
        return
    html = response.content.decode()
    assert RESTRICTED not in html
    assert f"/s/{world['restricted'].pk}/" not in html
    assert world["readable"].title in html
    if who == "editor":
        assert "data-kb-usages-hidden" in html


def test_where_used_shows_everything_to_those_who_may_read_it(world):
    """A member of the restricted group, and an admin, see the restricted user."""
    for who in ["insider", "admin"]:
        html = get(world["people"][who], reverse("manuals:block", args=["greet"]))
        assert RESTRICTED in html.content.decode(), who
    usages = blocks.block_usages(block=world["block"], user=world["people"]["agent"])
    assert [row["object"].pk for row in usages.rows] == [world["readable"].pk]
    assert usages.hidden == 1


def test_readers_see_the_published_block_only(world):
    """An agent reads the published text, sees no draft banner, no history, and
    cannot open a diff of unpublished revisions."""
    agent = world["people"]["agent"]
    html = get(agent, reverse("manuals:block", args=["greet"])).content.decode()
    assert DRAFT not in html
    assert "您好" in html
    assert "unpublished" not in html.lower() and "未发布" not in html
    response = get(agent, reverse("manuals:block_diff", args=["greet"]) + "?a=1&b=2")
    assert response.status_code == 403
    assert DRAFT not in response.content.decode()
    # Editors do see the draft and can compare.
    editor = world["people"]["editor"]
    response = get(editor, reverse("manuals:block_diff", args=["greet"]) + "?a=1&b=2")
    assert response.status_code == 200
    assert DRAFT in response.content.decode()


def test_never_published_block_is_hidden_from_readers(world):
    """A block with no published revision is an editor's draft: readers get 404
    and the library does not list it."""
    admin = world["people"]["admin"]
    blocks.block_create(
        key="secret-draft",
        title=f"标题 {NEVER}",
        body=NEVER,
        visibility=Visibility.INTERNAL,
        user=admin,
        publish=False,
    )
    agent = world["people"]["agent"]
    assert (
        get(agent, reverse("manuals:block", args=["secret-draft"])).status_code == 404
    )
    assert NEVER not in get(agent, reverse("manuals:blocks")).content.decode()
    editor = world["people"]["editor"]
    assert NEVER in get(editor, reverse("manuals:blocks")).content.decode()


def test_publish_impact_samples_a_readable_section(world):
    """The impact page's sample diff is of a section the publisher may read."""
    publisher = world["people"]["outsider_publisher"]
    impact = blocks.block_impact(
        block=world["block"], revision=world["block"].head_revision, user=publisher
    )
    assert impact.following == 2
    assert impact.sample.pk == world["readable"].pk
    html = get(publisher, reverse("manuals:block_publish", args=["greet"]))
    assert RESTRICTED not in html.content.decode()


@pytest.fixture
def trashed(world):
    """The restricted section with a child, moved to the trash."""
    admin = world["people"]["admin"]
    make_section(
        world["restricted"],
        title=f"子节 {TRASHED}",
        visibility=Visibility.RESTRICTED,
        groups=[world["secret"]],
        user=admin,
    )
    services.section_delete(section=world["restricted"], user=admin)
    return Section.objects.get(pk=world["restricted"].pk)


def test_trash_lists_only_what_the_editor_could_read(world, trashed):
    """An editor outside the group does not see the trashed restricted section, its
    title, or its size; an editor in the group does."""
    outsider = world["people"]["editor"]
    html = get(outsider, reverse("manuals:trash")).content.decode()
    assert RESTRICTED not in html and TRASHED not in html
    assert f'data-kb-trash="{trashed.pk}"' not in html
    insider = make_user("editor", username="insider-editor")
    insider.groups.add(world["secret"])
    html = get(insider, reverse("manuals:trash")).content.decode()
    assert RESTRICTED in html
    assert f'data-kb-trash="{trashed.pk}"' in html


def test_trash_restore_of_an_unreadable_section_changes_nothing(world, trashed):
    """POST restore by an editor outside the group: 404, still in the trash, no
    audit entry; the service refuses it too."""
    outsider = world["people"]["editor"]
    before = AuditEntry.objects.count()
    client = Client()
    client.force_login(outsider)
    response = client.post(reverse("manuals:trash_restore", args=[trashed.pk]))
    assert response.status_code == 404
    assert Section.objects.get(pk=trashed.pk).in_trash
    assert AuditEntry.objects.count() == before
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.section_restore(section=trashed, user=outsider)
    assert Section.objects.get(pk=trashed.pk).in_trash


def test_trash_restore_by_a_group_member_works(world, trashed):
    insider = make_user("editor", username="insider-editor")
    insider.groups.add(world["secret"])
    client = Client()
    client.force_login(insider)
    response = client.post(reverse("manuals:trash_restore", args=[trashed.pk]))
    assert response.status_code == 302
    assert not Section.objects.get(pk=trashed.pk).in_trash


def test_review_queue_hides_reviews_of_unreadable_sections(world):
    """A pending review of a restricted section is listed to publishers in the
    group only."""
    insider = make_user("editor", username="insider-editor")
    insider.groups.add(world["secret"])
    section = Section.objects.get(pk=world["restricted"].pk)
    result = section_save(
        section=section,
        user=insider,
        title=section.title,
        body="新的内容",
        base=section.head_revision,
    )
    collaboration.review_submit(section=section, revision=result.revision, user=insider)
    outsider = world["people"]["outsider_publisher"]
    html = get(outsider, reverse("manuals:reviews")).content.decode()
    assert RESTRICTED not in html
    member = make_user("editor", "publisher", username="member-pub")
    member.groups.add(world["secret"])
    assert RESTRICTED in get(member, reverse("manuals:reviews")).content.decode()


def test_audit_log_describes_only_what_the_manager_may_read(world, trashed):
    """Managers read entries about what they may read; the rest is a count.
    Restricted, never-published and trashed sections are not named; admins see
    everything."""
    manager = world["people"]["manager"]
    html = get(manager, reverse("manuals:audit")).content.decode()
    for canary in (RESTRICTED, NEVER, TRASHED):
        assert canary not in html
    assert f"/s/{world['restricted'].pk}/" not in html
    assert f"/s/{world['never'].pk}/" not in html
    assert "data-kb-audit-hidden" in html
    assert world["readable"].title in html  # what they may read is described
    root = get(world["people"]["admin"], reverse("manuals:audit")).content.decode()
    assert RESTRICTED in root and NEVER in root
    assert "data-kb-audit-hidden" not in root


def test_audit_log_hides_settings_details_of_restricted_sections(world):
    """Tag names set on a restricted section live in the entry's details: hidden
    with the entry."""
    admin = world["people"]["admin"]
    section = Section.objects.get(pk=world["restricted"].pk)
    services.section_update_settings(
        section=section,
        user=admin,
        kind=section.kind,
        visibility=Visibility.RESTRICTED,
        groups=[world["secret"]],
        tags=["TAG-CANARY-5e11"],
    )
    html = get(world["people"]["manager"], reverse("manuals:audit")).content.decode()
    assert "TAG-CANARY-5e11" not in html


def test_delete_page_lists_only_readable_subsections_and_refuses(world):
    """An editor outside the group deleting the manual sees no restricted title,
    is told the subtree holds sections they cannot read, and the POST changes
    nothing; an admin may delete it."""
    manual = Section.objects.get_parent(Section.objects.get(pk=world["restricted"].pk))
    editor = world["people"]["editor"]
    url = reverse("manuals:delete", args=[manual.pk])
    html = get(editor, url).content.decode()
    assert RESTRICTED not in html
    assert "data-kb-delete-hidden" in html
    client = Client()
    client.force_login(editor)
    response = client.post(url)
    assert response.status_code == 200
    assert "data-kb-delete-error" in response.content.decode()
    assert not Section.objects.filter(in_trash=True).exists()
    services.section_delete(section=manual, user=world["people"]["admin"])
    assert Section.objects.get(pk=world["restricted"].pk).in_trash


def test_question_from_a_restricted_section_is_for_those_who_may_read_it(world):
    """A question asked on a restricted section is listed, opened and counted in
    the knowledge gaps only for people who may read that section."""
    from faq import services as faq_services

    insider = world["people"]["insider"]
    question = faq_services.question_ask(
        user=insider,
        text="VIP 例外怎么处理？CANARY-QUESTION-3c3c",
        section=Section.objects.get(pk=world["restricted"].pk),
    )
    outsider = world["people"]["editor"]
    assert "CANARY-QUESTION" not in get(outsider, reverse("faq:queue")).content.decode()
    assert get(outsider, reverse("faq:question", args=[question.pk])).status_code == 404
    manager = world["people"]["manager"]
    gaps = get(manager, reverse("feedback:gaps")).content.decode()
    assert "CANARY-QUESTION" not in gaps
    member = make_user("editor", username="member-editor")
    member.groups.add(world["secret"])
    assert "CANARY-QUESTION" in get(member, reverse("faq:queue")).content.decode()


def test_services_refuse_bodies_over_the_limit_whoever_calls(world, settings):
    """The body limit holds for callers that skip the forms (a shell, the admin):
    sections, blocks and FAQ answers; nothing is saved."""
    from django.core.exceptions import ValidationError

    from faq import services as faq_services
    from faq.models import Entry

    settings.KB_MAX_BODY_CHARS = 100
    admin = world["people"]["admin"]
    long = "字" * 101
    section = Section.objects.get(pk=world["readable"].pk)
    with pytest.raises(ValidationError):
        section_save(
            section=section,
            user=admin,
            title="t",
            body=long,
            base=section.head_revision,
        )
    with pytest.raises(ValidationError):
        blocks.block_create(
            key="too-long", title="t", body=long, visibility="public", user=admin
        )
    with pytest.raises(ValidationError):
        faq_services.entry_create(
            question="q", answer=long, user=admin, visibility="internal"
        )
    assert Section.objects.get(pk=section.pk).head_revision == section.head_revision
    assert not Block.objects.filter(key="too-long").exists()
    assert not Entry.objects.exists()


def test_where_used_costs_the_same_for_three_or_twelve_users(world):
    """Where-used checks every user of the block in a few queries, not one (or
    two) per section: the count does not grow with the sections that embed it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = world["people"]["admin"]
    agent = world["people"]["agent"]
    manual = Section.objects.get_parent(Section.objects.get(pk=world["readable"].pk))

    def count():
        block = Block.objects.get(key="greet")
        with CaptureQueriesContext(connection) as queries:
            found = blocks.block_usages(block=block, user=agent)
        return len(queries), found

    for i in range(2):
        make_section(manual, title=f"用 {i}", body="{{block:greet}}", user=admin)
    few, found_few = count()
    for i in range(2, 11):
        make_section(manual, title=f"用 {i}", body="{{block:greet}}", user=admin)
    many, found_many = count()
    assert len(found_many.rows) == len(found_few.rows) + 9
    assert found_many.hidden == found_few.hidden == 1  # the restricted one
    assert many <= few, (few, many)  # one or two per section before
