"""Every kind of notification reaches the right people, and only people who may read
what it is about; watching, owners and minor edits."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from faq import services as faq_services
from feedback import services as feedback_services
from feedback.models import GapKind
from manuals.blocks import services as blocks
from manuals.editing import services as collaboration
from manuals.models import SectionVisit, Visibility
from manuals.notifications import services
from manuals.notifications.models import Kind, Notification
from manuals.sections import services as sections
from tests.factories import make_section, make_user

pytestmark = pytest.mark.django_db


def kinds_for(user):
    return list(
        Notification.objects.filter(recipient=user).values_list("kind", flat=True)
    )


def edit_and_publish(section, body, user, *, minor=False, title=None):
    section.refresh_from_db()
    result = sections.section_save(
        section=section,
        user=user,
        title=title or section.title,
        body=body,
        base=section.head_revision,
        minor=minor,
    )
    sections.revision_publish(section=section, revision=result.revision, user=user)
    section.refresh_from_db()
    return result.revision


def set_owner(section, owner, user, review_by=None):
    section.refresh_from_db()
    sections.section_update_settings(
        section=section,
        user=user,
        kind=section.kind,
        visibility=section.visibility,
        owner=owner,
        review_by=review_by or section.review_by,
    )


@pytest.fixture
def secret(db):
    return Group.objects.create(name="secret-team")


@pytest.fixture
def restricted(tree, admin_user, secret):
    return make_section(
        tree["a"],
        title="RESTRICTED-TITLE 内部赔付标准",
        body="only for the secret team",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
    )


def test_notify_skips_the_actor_inactive_users_and_those_who_may_not_read(
    tree, restricted, secret, admin_user
):
    """A notification about a restricted section reaches only members of its group:
    nobody else gets a row, so the title cannot reach them, not even in an e-mail."""
    insider = make_user("agent", username="insider")
    insider.groups.add(secret)
    outsider = make_user("agent", username="outsider")
    gone = make_user("agent", username="gone", is_active=False)
    gone.groups.add(secret)
    rows = services.notify(
        recipients=[insider, outsider, gone, admin_user, insider],
        kind=Kind.SECTION_CHANGED,
        subject=restricted,
        text=restricted.title,
        url=restricted.get_absolute_url(),
        actor=admin_user,
    )
    assert [r.recipient for r in rows] == [insider]
    assert not Notification.objects.filter(text__contains="RESTRICTED-TITLE").exclude(
        recipient=insider
    )


def test_review_requested_reaches_publishers_who_may_read(
    tree, restricted, secret, publisher, editor
):
    """Asking for a review tells the publishers; of a restricted section, only the
    publishers in its group."""
    outside_publisher = make_user("editor", "publisher", username="pub-out")
    inside_publisher = make_user("editor", "publisher", username="pub-in")
    inside_publisher.groups.add(secret)
    editor.groups.add(secret)
    editor = type(editor).objects.get(pk=editor.pk)
    result = sections.section_save(
        section=tree["refund"],
        user=editor,
        title="退款政策",
        body="new text",
        base=tree["refund"].head_revision,
    )
    review = collaboration.review_submit(
        section=tree["refund"], revision=result.revision, user=editor
    )
    assert kinds_for(publisher) == [Kind.REVIEW_REQUESTED]
    assert kinds_for(outside_publisher) == [Kind.REVIEW_REQUESTED]
    note = Notification.objects.get(recipient=publisher)
    assert note.actor == editor
    assert note.url.endswith(reverse("manuals:review", kwargs={"review_pk": review.pk}))

    restricted.refresh_from_db()
    result = sections.section_save(
        section=restricted,
        user=editor,
        title=restricted.title,
        body="changed",
        base=restricted.head_revision,
    )
    collaboration.review_submit(
        section=restricted, revision=result.revision, user=editor
    )
    assert kinds_for(inside_publisher) == [Kind.REVIEW_REQUESTED] * 2
    assert kinds_for(outside_publisher) == [Kind.REVIEW_REQUESTED]  # not the second


def test_review_decisions_reach_the_requester(tree, publisher, editor):
    def submit(body):
        tree["refund"].refresh_from_db()
        result = sections.section_save(
            section=tree["refund"],
            user=editor,
            title="退款政策",
            body=body,
            base=tree["refund"].head_revision,
        )
        return collaboration.review_submit(
            section=tree["refund"], revision=result.revision, user=editor
        )

    collaboration.review_decide(
        review=submit("one"), user=publisher, approve=False, comment="Add the date."
    )
    collaboration.review_decide(review=submit("two"), user=publisher, approve=True)
    assert sorted(kinds_for(editor)) == sorted(
        [Kind.REVIEW_CHANGES, Kind.REVIEW_APPROVED]
    )
    approved = Notification.objects.get(recipient=editor, kind=Kind.REVIEW_APPROVED)
    assert approved.url == tree["refund"].get_absolute_url()


def test_question_answered_and_declined_reach_the_asker(tree, agent, editor, client):
    answered = faq_services.question_ask(text="退款多久到账?", user=agent)
    declined = faq_services.question_ask(text="能不能吃饭?", user=agent)
    faq_services.question_answer(
        question=answered, user=editor, answer="三个工作日。", entry_question="到账时间"
    )
    faq_services.question_reject(question=declined, reason="不属于手册", user=editor)
    assert sorted(kinds_for(agent)) == sorted(
        [Kind.QUESTION_ANSWERED, Kind.QUESTION_DECLINED]
    )
    client.force_login(agent)
    page = client.get(reverse("faq:mine")).content.decode()
    assert page.count("is-unread") == 2
    # Seen on "My questions": read, and the bell goes down.
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True)
    assert client.get(reverse("faq:mine")).content.decode().count("is-unread") == 0


def test_feedback_and_gap_assignment_reach_the_assignee(tree, admin_user):
    manager = make_user("manager", username="boss")
    assignee = make_user("editor", "manager", username="fixer")
    item = feedback_services.feedback_submit(
        section=tree["refund"],
        revision=tree["refund"].published_revision,
        user=make_user("agent", username="reader"),
        audience="internal",
        helpful=False,
        comment="过时了",
    )
    feedback_services.feedback_assign(feedback=item, assignee=assignee, user=manager)
    feedback_services.feedback_assign(feedback=item, assignee=assignee, user=manager)
    feedback_services.gap_assign(
        kind=GapKind.ZERO_RESULTS, key="发票抬头", assignee=assignee, user=manager
    )
    assert sorted(kinds_for(assignee)) == sorted(
        [Kind.FEEDBACK_ASSIGNED, Kind.GAP_ASSIGNED]  # once: the same assignee again
    )
    gap = Notification.objects.get(recipient=assignee, kind=Kind.GAP_ASSIGNED)
    assert gap.text == "发票抬头" and gap.actor == manager


def test_watchers_owner_and_subtree_watchers_hear_of_a_publish(
    tree, admin_user, publisher
):
    """Publishing tells who watches the section, who watches an ancestor with its
    subsections, and its owner (unless they stopped); not the publisher."""
    direct = make_user("agent", username="direct")
    subtree = make_user("agent", username="subtree")
    parent_only = make_user("agent", username="parent-only")
    owner = make_user("editor", username="owner")
    services.watch_set(user=direct, section=tree["refund"], watching=True)
    services.watch_set(
        user=subtree, section=tree["manual"], watching=True, subtree=True
    )
    services.watch_set(user=parent_only, section=tree["a"], watching=True)
    set_owner(tree["refund"], owner, admin_user)
    edit_and_publish(tree["refund"], "退款 5 天内处理。", publisher)
    for user in (direct, subtree, owner):
        assert kinds_for(user) == [Kind.SECTION_CHANGED], user
    assert kinds_for(parent_only) == []
    assert kinds_for(publisher) == []

    services.watch_set(user=owner, section=tree["refund"], watching=False)
    services.watch_set(user=subtree, section=tree["refund"], watching=False)
    edit_and_publish(tree["refund"], "退款 3 天内处理。", publisher)
    assert kinds_for(owner) == [Kind.SECTION_CHANGED]  # stopped: not again
    assert kinds_for(subtree) == [Kind.SECTION_CHANGED]  # the section's own row wins
    assert kinds_for(direct) == [Kind.SECTION_CHANGED] * 2


def test_a_minor_edit_tells_nobody(tree, publisher):
    watcher = make_user("agent", username="watcher")
    services.watch_set(user=watcher, section=tree["refund"], watching=True)
    edit_and_publish(tree["refund"], "退款 7 天内处理(错别字)。", publisher, minor=True)
    assert kinds_for(watcher) == []
    edit_and_publish(tree["refund"], "退款 6 天内处理。", publisher)
    assert kinds_for(watcher) == [Kind.SECTION_CHANGED]


def test_the_link_shows_what_changed_since_the_watcher_last_looked(tree, publisher):
    """The link is the reader's diff from the revision they last saw (or the one
    before the publish) to the new one."""
    seen = make_user("agent", username="seen")
    never = make_user("agent", username="never")
    for user in (seen, never):
        services.watch_set(user=user, section=tree["refund"], watching=True)
    first = tree["refund"].published_revision
    SectionVisit.objects.create(user=seen, section=tree["refund"], revision=first)
    second = edit_and_publish(tree["refund"], "二", publisher)
    Notification.objects.all().delete()
    third = edit_and_publish(tree["refund"], "三", publisher)
    url = reverse("manuals:changes", kwargs={"pk": tree["refund"].pk})
    assert Notification.objects.get(recipient=seen).url == f"{url}?since={first.number}"
    assert (
        Notification.objects.get(recipient=never).url == f"{url}?since={second.number}"
    )
    assert third.number > second.number


def test_block_watchers_hear_of_a_publish_but_not_a_minor_one(admin_user):
    block = blocks.block_create(
        key="hours",
        title="营业时间",
        body="9-18",
        visibility=Visibility.INTERNAL,
        user=admin_user,
        publish=True,
    )
    watcher = make_user("agent", username="watcher")
    services.watch_set(user=watcher, block=block, watching=True)
    for minor, body in ((True, "9-18 点"), (False, "9-20 点")):
        block.refresh_from_db()
        result = blocks.block_save(
            block=block,
            user=admin_user,
            body=body,
            base=block.head_revision,
            minor=minor,
        )
        blocks.block_publish(block=block, revision=result.revision, user=admin_user)
    assert kinds_for(watcher) == [Kind.BLOCK_CHANGED]


def test_review_due_reminds_the_owner_once_per_date(tree, admin_user):
    owner = make_user("editor", username="owner")
    today = timezone.localdate()
    set_owner(
        tree["refund"], owner, admin_user, review_by=today - datetime.timedelta(3)
    )
    assert services.reviews_due_notify(today=today) == 1
    assert services.reviews_due_notify(today=today) == 0
    assert kinds_for(owner) == [Kind.REVIEW_DUE]


def test_a_failing_receiver_never_fails_the_save(tree, publisher, monkeypatch):
    """If telling people breaks, the publish still happens (and is logged)."""
    watcher = make_user("agent", username="watcher")
    services.watch_set(user=watcher, section=tree["refund"], watching=True)

    def broken(**kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(services, "notify", broken)
    revision = edit_and_publish(tree["refund"], "still saved", publisher)
    tree["refund"].refresh_from_db()
    assert tree["refund"].published_revision == revision
    assert kinds_for(watcher) == []
