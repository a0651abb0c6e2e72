"""Changes made in the Django admin bring along what the site's services do: the
visibility clamped down the tree, the audit log, where-used rows and the search
index. A visibility change made in the admin must not leave the old audience's
text searchable."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from manuals.admin import SectionAdmin
from manuals.blocks import services as blocks
from manuals.models import AuditEntry, BlockUsage, Kind, Section, Tag, Visibility
from manuals.search import services
from tests.factories import make_section, make_user
from tests.manuals.test_navigation import _admin_form_data

SEARCH_BACKENDS = ("whoosh", "postgres")


def _ids(user, q):
    return {
        h.object_id
        for h in services.search_sections(user=user, parsed=services.parse(q)).hits
    }


@pytest.fixture
def world(admin_user, index_now):
    manual = make_section(title="内部手册", kind=Kind.MANUAL, user=admin_user)
    chapter = make_section(manual, title="第一章", kind=Kind.CHAPTER, user=admin_user)
    child = make_section(
        chapter, title="退款规则", body="退款 adminflip 细则", user=admin_user
    )
    other = make_section(title="另一本", kind=Kind.MANUAL, user=admin_user)
    index_now()
    client = Client()
    client.force_login(admin_user)
    return {
        "manual": manual,
        "chapter": chapter,
        "child": child,
        "other": other,
        "client": client,
        "agent": make_user("agent", username="agent"),
    }


def test_visibility_change_in_the_admin_reaches_subtree_and_index(world, index_now):
    """Restricting a chapter in the admin restricts its children too and takes
    their text out of the agents' search."""
    agent = world["agent"]
    assert world["child"].pk in _ids(agent, "adminflip")
    secret = Group.objects.create(name="secret")
    url = reverse("admin:manuals_section_change", args=[world["chapter"].pk])
    client = world["client"]
    data = _admin_form_data(client.get(url))
    data.update(visibility=Visibility.RESTRICTED, groups=[secret.pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    index_now()
    child = Section.objects.get(pk=world["child"].pk)
    assert child.visibility == Visibility.RESTRICTED
    assert world["child"].pk not in _ids(agent, "adminflip")
    insider = make_user("agent", username="insider")
    insider.groups.add(secret)
    assert world["child"].pk in _ids(insider, "adminflip")


def test_drag_and_drop_move_in_the_admin_goes_through_the_service(world, index_now):
    """The admin tree's move is audited as a move and clamps the moved subtree to
    its new parent's visibility."""
    client = world["client"]
    public = make_section(
        title="帮助中心", kind=Kind.MANUAL, visibility=Visibility.PUBLIC
    )
    public_child = make_section(
        public, title="公开页", body="movecanary", visibility=Visibility.PUBLIC
    )
    index_now()
    response = client.post(
        reverse("admin:manuals_section_changelist") + "move/",
        {"node": public_child.pk, "target": world["chapter"].pk, "relation": "child"},
    )
    assert response.status_code == 200, response.content
    moved = Section.objects.get(pk=public_child.pk)
    assert moved.is_child_of(Section.objects.get(pk=world["chapter"].pk))
    assert moved.visibility == Visibility.INTERNAL  # narrowed to the new parent
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.action == AuditEntry.Action.MOVE and entry.section_id == moved.pk
    index_now()
    from django.contrib.auth.models import AnonymousUser

    assert public_child.pk not in _ids(AnonymousUser(), "movecanary")


def test_admin_move_into_itself_is_refused(world):
    client = world["client"]
    response = client.post(
        reverse("admin:manuals_section_changelist") + "move/",
        {
            "node": world["manual"].pk,
            "target": world["chapter"].pk,
            "relation": "child",
        },
    )
    assert response.status_code == 400
    assert Section.objects.get(pk=world["chapter"].pk).is_child_of(
        Section.objects.get(pk=world["manual"].pk)
    )


def test_section_delete_in_the_admin(world, index_now, admin_user, rf):
    """The admin's delete page refuses (revisions are history, not deletable);
    should a delete reach SectionAdmin anyway, it purges the subtree for good
    through the service: one purge entry, and the subtree leaves search."""
    from django.contrib import admin as django_admin

    client = world["client"]
    url = reverse("admin:manuals_section_delete", args=[world["chapter"].pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Section.objects.filter(pk=world["child"].pk).exists()

    request = rf.post(url)
    request.user = admin_user
    model_admin = SectionAdmin(Section, django_admin.site)
    model_admin.delete_model(request, Section.objects.get(pk=world["chapter"].pk))
    assert not Section.objects.filter(pk=world["child"].pk).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.PURGE).count() == 1
    index_now()
    assert world["child"].pk not in _ids(world["agent"], "adminflip")
    assert not Section.objects.find_problems()[0]


def test_tag_renamed_in_the_admin_reindexes_its_sections(world, index_now, admin_user):
    from manuals.sections import services as manual_services

    child = Section.objects.get(pk=world["child"].pk)
    manual_services.section_update_settings(
        section=child,
        user=admin_user,
        kind=child.kind,
        visibility=child.visibility,
        tags=["旧标签"],
    )
    index_now()
    tag = Tag.objects.get(name="旧标签")
    client = world["client"]
    response = client.post(
        reverse("admin:manuals_tag_change", args=[tag.pk]), {"name": "tagrenamed"}
    )
    assert response.status_code == 302
    index_now()
    agent = world["agent"]
    results = services.search_sections(
        user=agent, parsed=services.parse("tag:tagrenamed")
    )
    assert child.pk in {h.object_id for h in results.hits}


def test_faq_entry_deleted_in_the_admin_leaves_no_usage_or_document(
    world, index_now, admin_user, search_index
):
    """Deleting an FAQ entry in the admin drops its where-used rows and its search
    document, as deleting it on the site does."""
    from faq import services as faq_services
    from faq.models import Entry, EntryVisibility

    blocks.block_create(
        key="hours",
        title="服务时间",
        body="9-18",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        publish=True,
    )
    entry = faq_services.entry_create(
        question="几点上班？",
        answer="{{block:hours}} faqadmincanary",
        user=admin_user,
        visibility=EntryVisibility.INTERNAL,
    )
    index_now()
    entry_type = ContentType.objects.get_for_model(Entry)
    assert BlockUsage.objects.filter(content_type=entry_type, object_id=entry.pk)
    assert f"faq:{entry.pk}" in " ".join(search_index.indexed_digests())
    response = world["client"].post(
        reverse("admin:faq_entry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Entry.objects.filter(pk=entry.pk).exists()
    assert not BlockUsage.objects.filter(content_type=entry_type, object_id=entry.pk)
    index_now()
    assert f"faq:{entry.pk}" not in " ".join(search_index.indexed_digests())


def test_faq_entry_edited_in_the_admin_is_reindexed(
    world, index_now, admin_user, search_index
):
    """An answer changed in the admin reaches the index: the indexed document is
    the one the database now describes."""
    from faq import services as faq_services
    from faq.models import EntryVisibility

    entry = faq_services.entry_create(
        question="退货地址？",
        answer="旧地址",
        user=admin_user,
        visibility=EntryVisibility.INTERNAL,
    )
    index_now()

    def digests():
        return {
            k: v
            for k, v in search_index.indexed_digests().items()
            if k.startswith(f"faq:{entry.pk}")
        }

    before = digests()
    assert before
    url = reverse("admin:faq_entry_change", args=[entry.pk])
    client = world["client"]
    data = _admin_form_data(client.get(url))
    data.update(answer="新地址 faqeditcanary")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    index_now()
    after = digests()
    assert after != before
    expected = {k: v for k, v in services.expected_documents().items() if k in after}
    assert after == expected
