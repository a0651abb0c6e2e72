"""Editing together: merges, conflicts, drafts, presence, review, schedules, review-by
dates, audit entries and the trash."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from manuals.editing import services as collaboration
from manuals.models import (
    AuditEntry,
    Draft,
    EditPresence,
    ReviewRequest,
    Section,
)
from manuals.sections import services
from tests.factories import make_section, make_user

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


A = AuditEntry.Action


def _head(section):
    return Section.objects.get(pk=section.pk).head_revision


def _tree_ok():
    assert not any(Section.objects.find_problems())


# Merges and conflicts ---------------------------------------------------------


@pytest.fixture
def doc(admin_user):
    body = "第一行 问候\n第二行 核实订单\n第三行 解决问题\n第四行 结束语\n"
    return make_section(title="接待流程", body=body, user=admin_user)


def test_clean_merge_keeps_both_edits(doc, publisher, editor):
    """Two editors start from the same revision and change different lines: both
    changes are in the result, and the second is told it was merged."""
    base = _head(doc)
    first = services.section_save(
        section=doc,
        user=publisher,
        title=base.title,
        body=base.body.replace("第一行 问候", "第一行 热情问候"),
        base=base,
    )
    second = services.section_save(
        section=doc,
        user=editor,
        title=base.title,
        body=base.body.replace("第四行 结束语", "第四行 礼貌结束语"),
        base=base,
    )
    assert first.status == "saved"
    assert second.status == "merged"
    assert second.head == first.revision
    body = _head(doc).body
    assert "热情问候" in body and "礼貌结束语" in body


def test_title_takes_part_in_the_merge(doc, publisher, editor):
    """One editor renames, another edits the body: both survive."""
    base = _head(doc)
    services.section_save(
        section=doc, user=publisher, title="接待标准流程", body=base.body, base=base
    )
    result = services.section_save(
        section=doc,
        user=editor,
        title=base.title,
        body=base.body + "第五行 回访\n",
        base=base,
    )
    assert result.status == "merged"
    head = _head(doc)
    assert head.title == "接待标准流程" and "第五行 回访" in head.body


def test_conflict_saves_nothing_and_keeps_the_text(doc, publisher, editor):
    """Overlapping edits: the head is untouched, the second editor's words are kept
    as a conflict draft, and the returned text holds both sides with markers."""
    base = _head(doc)
    services.section_save(
        section=doc,
        user=publisher,
        title=base.title,
        body=base.body.replace("第二行 核实订单", "第二行 核实订单号"),
        base=base,
    )
    head_before = _head(doc)
    mine = base.body.replace("第二行 核实订单", "第二行 核实收货地址")
    result = services.section_save(
        section=doc, user=editor, title=base.title, body=mine, base=base
    )
    assert result.status == "conflict" and not result.ok
    assert _head(doc) == head_before
    assert "核实订单号" in result.conflict_body
    assert "核实收货地址" in result.conflict_body
    assert "<<<<<<<" in result.conflict_body and ">>>>>>>" in result.conflict_body
    draft = Draft.objects.get(section=doc, user=editor, kind=Draft.Kind.CONFLICT)
    assert draft.body == mine


def test_conflict_resolution_saves_and_clears_draft(doc, publisher, editor):
    """Saving the resolved text against the new head works and drops the drafts."""
    base = _head(doc)
    services.section_save(
        section=doc,
        user=publisher,
        title=base.title,
        body=base.body.replace("第二行", "第二行A"),
        base=base,
    )
    result = services.section_save(
        section=doc,
        user=editor,
        title=base.title,
        body=base.body.replace("第二行", "第二行B"),
        base=base,
    )
    resolved = base.body.replace("第二行", "第二行AB")
    assert Draft.objects.filter(section=doc, user=editor).count() == 1
    # A save that does not say it resolves the conflict keeps the conflict draft...
    other = services.section_save(
        section=doc,
        user=editor,
        title=base.title,
        body=resolved + "另一处\n",
        base=result.head,
    )
    assert other.status == "saved"
    assert Draft.objects.filter(section=doc, user=editor).count() == 1
    # ...the one from the conflict page drops it.
    final = services.section_save(
        section=doc,
        user=editor,
        title=base.title,
        body=resolved,
        base=other.revision,
        resolves=result.draft.pk,
    )
    assert final.status == "saved"
    assert _head(doc).body == resolved
    assert not Draft.objects.filter(section=doc, user=editor).exists()


def test_conflict_page_shows_both_sides(doc, publisher, editor, client):
    """In the browser the conflict comes back with the editor's text and a
    side-by-side view of their saved version and yours."""
    base = _head(doc)
    services.section_save(
        section=doc,
        user=publisher,
        title=base.title,
        body=base.body.replace("第三行 解决问题", "第三行 甲方案"),
        base=base,
    )
    client.force_login(editor)
    response = client.post(
        reverse("manuals:edit", args=[doc.pk]),
        {
            "title": base.title,
            "body": base.body.replace("第三行 解决问题", "第三行 乙方案"),
            "base": base.pk,
            "save": "1",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "乙方案" in html and "甲方案" in html
    assert "kb-diff" in html
    assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt;" in html


# Autosave and presence ----------------------------------------------------------


def test_autosave_and_restore_offer(doc, editor, client):
    """Autosaved text is offered back when the editor reopens the page."""
    client.force_login(editor)
    base = _head(doc)
    response = client.post(
        reverse("manuals:autosave", args=[doc.pk]),
        {
            "title": base.title,
            "body": base.body + "还没保存的一句话\n",
            "base": base.pk,
        },
    )
    assert response.json()["saved"] is True
    page = client.get(reverse("manuals:edit", args=[doc.pk])).content.decode()
    assert "data-kb-draft-offer" in page
    restored = client.get(reverse("manuals:edit", args=[doc.pk]) + "?draft=restore")
    assert "还没保存的一句话" in restored.content.decode()


def test_autosave_is_private_and_never_shown_to_readers(doc, editor, agent, client):
    """Drafts never show to readers, and another editor is not offered them."""
    base = _head(doc)
    collaboration.draft_autosave(
        section=doc,
        user=editor,
        title=base.title,
        body="草稿专用文字 DRAFT-CANARY",
        base=base,
    )
    client.force_login(agent)
    assert "DRAFT-CANARY" not in client.get(doc.get_absolute_url()).content.decode()
    other = make_user("editor", username="editor2")
    assert collaboration.draft_pending(section=doc, user=other) is None


def test_autosave_refused_for_readers(doc, agent, client):
    """An agent cannot write drafts."""
    client.force_login(agent)
    response = client.post(
        reverse("manuals:autosave", args=[doc.pk]), {"title": "x", "body": "y"}
    )
    assert response.status_code == 403


def test_presence_shows_others_and_expires(doc, editor, publisher):
    """Someone who sent a heartbeat is listed for others for about a minute."""
    assert collaboration.presence_heartbeat(section=doc, user=editor) == []
    assert collaboration.presence_heartbeat(section=doc, user=publisher) == ["editor"]
    assert collaboration.presence_others(section=doc, user=editor) == ["publisher"]
    EditPresence.objects.filter(user=publisher).update(
        last_seen=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert collaboration.presence_others(section=doc, user=editor) == []


def test_heartbeat_endpoint_reports_head(doc, editor, publisher, client):
    """The heartbeat tells the editor the current head so the page can warn."""
    collaboration.presence_heartbeat(section=doc, user=publisher)
    client.force_login(editor)
    data = client.post(reverse("manuals:heartbeat", args=[doc.pk])).json()
    assert data["others"] == ["publisher"]
    assert data["head"] == _head(doc).number


# Review ---------------------------------------------------------------------------


def test_review_submit_approve_publishes(doc, editor, publisher, client):
    """An editor without publish rights sends a revision for review; approving it
    publishes it and records both decisions in the audit log."""
    client.force_login(editor)
    base = _head(doc)
    client.post(
        reverse("manuals:edit", args=[doc.pk]),
        {
            "title": base.title,
            "body": base.body + "新增一步\n",
            "base": base.pk,
            "review": "1",
            "message": "请审核",
        },
    )
    review = ReviewRequest.objects.get(section=doc)
    assert review.status == ReviewRequest.Status.PENDING
    assert Section.objects.get(pk=doc.pk).published_revision != review.revision
    client.force_login(publisher)
    queue = client.get(reverse("manuals:reviews")).content.decode()
    assert doc.title in queue
    client.post(
        reverse("manuals:review", args=[review.pk]), {"approve": "1", "comment": ""}
    )
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.APPROVED
    assert Section.objects.get(pk=doc.pk).published_revision == review.revision
    actions = set(
        AuditEntry.objects.filter(section=doc).values_list("action", flat=True)
    )
    assert {A.REVIEW_SUBMIT, A.REVIEW_APPROVE, A.PUBLISH} <= actions


def test_request_changes_needs_a_comment_and_does_not_publish(doc, editor, publisher):
    base = _head(doc)
    result = services.section_save(
        section=doc, user=editor, title=base.title, body=base.body + "x\n", base=base
    )
    review = collaboration.review_submit(
        section=doc, revision=result.revision, user=editor
    )
    with pytest.raises(ValidationError):
        collaboration.review_decide(
            review=review, user=publisher, approve=False, comment=""
        )
    collaboration.review_decide(
        review=review, user=publisher, approve=False, comment="请补充退款时限"
    )
    review.refresh_from_db()
    assert review.status == ReviewRequest.Status.CHANGES_REQUESTED
    assert Section.objects.get(pk=doc.pk).published_revision == base


def test_editor_cannot_approve(doc, editor):
    """Only publishers decide reviews."""
    review = collaboration.review_submit(section=doc, revision=_head(doc), user=editor)
    with pytest.raises(PermissionDenied):
        collaboration.review_decide(review=review, user=editor, approve=True)


# Scheduled publishing -------------------------------------------------------------


def test_scheduled_publish_by_the_command_never_by_a_read(
    doc, publisher, agent, client
):
    """A revision scheduled for later is published by the scheduled command once
    its time has come; a reader opening the section meanwhile publishes nothing
    (reading takes no write locks) and reads the published revision."""
    base = _head(doc)
    new = services.section_save(
        section=doc,
        user=publisher,
        title=base.title,
        body="定时发布的新内容 SCHEDULED",
        base=base,
    ).revision
    with pytest.raises(ValidationError):
        collaboration.publication_schedule(
            section=doc, revision=new, user=publisher, publish_at=timezone.now()
        )
    item = collaboration.publication_schedule(
        section=doc,
        revision=new,
        user=publisher,
        publish_at=timezone.now() + datetime.timedelta(hours=1),
    )
    out = StringIO()
    call_command("publish_scheduled", stdout=out)
    assert "Published 0" in out.getvalue()
    assert Section.objects.get(pk=doc.pk).published_revision == base
    type(item).objects.filter(pk=item.pk).update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    client.force_login(agent)
    assert "SCHEDULED" not in client.get(doc.get_absolute_url()).content.decode()
    assert Section.objects.get(pk=doc.pk).published_revision == base
    out = StringIO()
    call_command("publish_scheduled", "--every", "0.01", "--runs", "2", stdout=out)
    assert "Published 1" in out.getvalue()
    assert Section.objects.get(pk=doc.pk).published_revision == new
    assert "SCHEDULED" in client.get(doc.get_absolute_url()).content.decode()
    assert call_command("publish_scheduled", stdout=StringIO()) is None


def test_schedule_needs_publish_permission(doc, editor):
    with pytest.raises(PermissionDenied):
        collaboration.publication_schedule(
            section=doc,
            revision=_head(doc),
            user=editor,
            publish_at=timezone.now() + datetime.timedelta(hours=1),
        )


# Review-by dates ------------------------------------------------------------------


def test_review_by_defaults_by_kind(admin_user):
    """Policies are due for review after 90 days, other kinds after 180."""
    today = timezone.localdate()
    policy = make_section(title="退款政策", kind="policy", user=admin_user)
    article = make_section(title="文章", kind="article", user=admin_user)
    assert policy.review_by == today + datetime.timedelta(days=90)
    assert article.review_by == today + datetime.timedelta(days=180)


def test_overdue_list_and_mark_reviewed(publisher, client):
    """Owners see their overdue sections; marking one reviewed records who and
    moves the date on."""
    section = make_section(title="过期的政策", kind="policy", user=publisher)
    Section.objects.filter(pk=section.pk).update(
        review_by=timezone.localdate() - datetime.timedelta(days=3)
    )
    client.force_login(publisher)
    assert "过期的政策" in client.get(reverse("manuals:overdue")).content.decode()
    page = client.get(section.get_absolute_url()).content.decode()
    assert reverse("manuals:mark_reviewed", args=[section.pk]) in page
    client.post(reverse("manuals:mark_reviewed", args=[section.pk]))
    section.refresh_from_db()
    assert section.last_reviewed_by == publisher
    assert section.review_by > timezone.localdate()
    assert "过期的政策" not in client.get(reverse("manuals:overdue")).content.decode()
    assert AuditEntry.objects.filter(section=section, action=A.REVIEWED).exists()


# Audit log --------------------------------------------------------------------------


def test_every_action_is_audited(tree, admin_user, publisher):
    """Create, edit, publish, move, settings, visibility, delete, restore, purge all
    leave an entry with who did it."""
    refund = tree["refund"]
    base = _head(refund)
    rev = services.section_save(
        section=refund,
        user=publisher,
        title=base.title,
        body=base.body + "补充\n",
        base=base,
    ).revision
    services.revision_publish(section=refund, revision=rev, user=publisher)
    services.revision_restore(revision=base, user=publisher)
    services.section_move(
        section=refund, target=tree["b"], position="last-child", user=publisher
    )
    services.section_update_settings(
        section=refund,
        user=publisher,
        kind="policy",
        visibility="internal",
        tags=["退款"],
    )
    services.section_update_settings(
        section=refund, user=publisher, kind="sop", visibility="internal", tags=["退款"]
    )
    services.section_delete(section=refund, user=publisher)
    services.section_restore(section=refund, user=publisher)
    services.section_delete(section=refund, user=publisher)
    services.section_purge(section=refund, user=admin_user)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        A.CREATE,
        A.EDIT,
        A.PUBLISH,
        A.RESTORE,
        A.MOVE,
        A.SETTINGS,
        A.DELETE,
        A.UNDELETE,
        A.PURGE,
    } <= actions
    entry = AuditEntry.objects.filter(action=A.MOVE).get()
    assert entry.username == "publisher"


def test_audit_entries_cannot_change(tree):
    entry = AuditEntry.objects.first()
    entry.detail = {"forged": True}
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_audit_page_for_managers_only(tree, agent, client):
    """Managers filter the audit log; agents may not see it."""
    manager = make_user("manager", username="manager")
    client.force_login(agent)
    assert client.get(reverse("manuals:audit")).status_code == 403
    client.force_login(manager)
    response = client.get(reverse("manuals:audit"), {"action": "create"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "退款政策" in html
    none = client.get(reverse("manuals:audit"), {"action": "purge"}).content.decode()
    assert "退款政策" not in none


# Trash ------------------------------------------------------------------------------


def test_trash_and_restore_subtree_keeps_revisions_and_urls(
    tree, publisher, agent, client
):
    """Deleting hides a whole subtree; restoring brings it back in place with its
    history and its old address."""
    chapter, refund = tree["a"], tree["refund"]
    url = refund.get_absolute_url()
    revisions = refund.revisions.count()
    services.section_delete(section=chapter, user=publisher)
    client.force_login(agent)
    assert client.get(url).status_code == 404
    assert (
        "退款政策" not in client.get(tree["manual"].get_absolute_url()).content.decode()
    )
    client.force_login(publisher)
    assert "第一章 政策" in client.get(reverse("manuals:trash")).content.decode()
    client.post(reverse("manuals:trash_restore", args=[chapter.pk]))
    refund = Section.objects.get(pk=refund.pk)
    assert refund.get_absolute_url() == url
    assert refund.revisions.count() == revisions
    assert Section.objects.get_parent(refund).pk == chapter.pk
    client.force_login(agent)
    assert client.get(url).status_code == 200
    _tree_ok()


def test_restore_needs_a_new_parent_when_the_old_one_is_gone(tree, publisher):
    """A section whose parent is in the trash too is restored under a chosen one."""
    services.section_delete(section=tree["refund"], user=publisher)
    services.section_delete(section=tree["a"], user=publisher)
    with pytest.raises(ValidationError):
        services.section_restore(section=tree["refund"], user=publisher)
    restored = services.section_restore(
        section=tree["refund"], user=publisher, parent=tree["b"]
    )
    assert Section.objects.get_parent(restored).pk == tree["b"].pk
    assert not restored.in_trash
    _tree_ok()


def test_purge_needs_admin(tree, publisher, admin_user, client):
    """Purging is for admins; it removes the subtree and its revisions for good."""
    services.section_delete(section=tree["a"], user=publisher)
    with pytest.raises(PermissionDenied):
        services.section_purge(section=tree["a"], user=publisher)
    client.force_login(publisher)
    assert (
        client.post(reverse("manuals:trash_purge", args=[tree["a"].pk])).status_code
        == 403
    )
    services.section_purge(section=tree["a"], user=admin_user)
    assert not Section.objects.filter(pk__in=[tree["a"].pk, tree["refund"].pk]).exists()
    _tree_ok()
