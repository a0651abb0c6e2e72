"""The sidebar, children list and previous/next are cached, yet never stale."""

import pytest

from manuals.models import Section
from manuals.sections import services
from tests.factories import make_section

# Every test here sees the conftest's small manual, built once for the module
# (module_tree in tests/conftest.py); `tree` hands each test its own instances.
pytestmark = pytest.mark.usefixtures("module_tree")


def _page(client, section):
    return client.get(
        Section.objects.get(pk=section.pk).get_absolute_url(), follow=True
    ).content.decode()


def test_navigation_follows_every_change(tree, admin_user, publisher, agent_client):
    """A new section, a rename, a move and a deletion show at once in the cached
    sidebar and children of a page read just before."""
    chapter = tree["a"]
    assert "新加的章节" not in _page(agent_client, chapter)  # now cached
    new = make_section(chapter, title="新加的章节", user=admin_user)
    assert "新加的章节" in _page(agent_client, chapter)

    head = Section.objects.get(pk=new.pk).head_revision
    result = services.section_save(
        section=new, user=publisher, title="改名后的章节", body=head.body, base=head
    )
    services.revision_publish(section=new, revision=result.revision, user=publisher)
    html = _page(agent_client, chapter)
    assert "改名后的章节" in html and "新加的章节" not in html

    services.section_move(
        section=new, target=tree["b"], position="last-child", user=publisher
    )
    assert "改名后的章节" not in _page(agent_client, chapter)
    assert "改名后的章节" in _page(agent_client, tree["b"])

    services.section_delete(section=new, user=publisher)
    assert "改名后的章节" not in _page(agent_client, tree["b"])


def test_navigation_is_per_audience(tree, client, agent_client):
    """What an agent's page cached never reaches a reader with less access."""
    from tests.factories import make_user

    agent_html = _page(agent_client, tree["help"])
    assert "客服手册" in agent_html  # the internal manual, in the agent's sidebar
    nobody = make_user(username="no-role")
    client.force_login(nobody)
    html = _page(client, tree["help"])
    assert "客服手册" not in html
    assert "帮助中心" in html


def test_change_stamp_sees_a_late_commit(tree, admin_user):
    """On PostgreSQL an entry can commit after one with a higher id; the stamp must
    change then too, or pages cached in between would stay stale."""
    from manuals.cache import change_stamp
    from manuals.models import AuditEntry

    newest = AuditEntry.objects.order_by("-id").first()
    AuditEntry.objects.create(pk=newest.pk + 5, action="edit", username="late-2")
    before = change_stamp()
    assert before != ""
    # The transaction that was given newest.pk + 1 commits only now.
    AuditEntry.objects.create(pk=newest.pk + 1, action="edit", username="late-1")
    assert change_stamp() != before


def test_tags_follow_a_settings_change(tree, publisher, agent_client):
    """Tags are cached with the navigation; changing them shows at once and the
    change is in the audit log."""
    from manuals.models import AuditEntry

    refund = Section.objects.get(pk=tree["refund"].pk)
    assert "kb-tag" not in _page(agent_client, refund)  # cached without tags
    services.section_update_settings(
        section=refund,
        user=publisher,
        kind=refund.kind,
        visibility=refund.visibility,
        tags=["退款", "高优先级"],
    )
    html = _page(agent_client, refund)
    assert '<span class="kb-tag">退款</span>' in html
    assert '<span class="kb-tag">高优先级</span>' in html
    entry = AuditEntry.objects.filter(section=refund).order_by("-id").first()
    assert entry.detail["changes"]["tags"] == [[], ["退款", "高优先级"]]


def test_a_moved_section_is_found_at_its_new_place(tree, publisher, agent_client):
    """The section's place is remembered to read it with its ancestors in one query;
    after a move the breadcrumbs show the new parents, not the old."""
    sop = tree["sop"]
    assert "第一章 政策" in _page(agent_client, sop)  # place remembered
    services.section_move(
        section=sop, target=tree["b"], position="last-child", user=publisher
    )
    html = _page(agent_client, sop)
    crumbs = html.split('class="kb-breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert tree["b"].title in crumbs
    assert "第一章 政策" not in crumbs


def test_warm_section_page_query_budget(tree, agent_client):
    """A section page read again costs four queries: the session, the user (with
    the header's count of unread notifications), permissions with groups, and the
    change stamp. The section, its navigation, body and related FAQ are cached under
    the stamp; the survey, the favourite star and the watch button know the
    reader's state from the session. Adding one fails."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = Section.objects.get(pk=tree["refund"].pk).get_absolute_url()
    agent_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(url)
    assert response.status_code == 200
    # (Page views are written in batches outside tests; inside a test's transaction
    # each is written at once, so only reads are counted.)
    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) <= 4, "\n".join(sql[:120] for sql in reads)


def _admin_form_data(response) -> dict:
    """The data an admin change form would post back unchanged."""
    from django import forms
    from django.db.models import Model

    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(field, forms.SplitDateTimeField):
            day, time = field.widget.decompress(value)
            data[f"{name}_0"], data[f"{name}_1"] = day.isoformat(), f"{time:%H:%M:%S}"
            continue
        if isinstance(value, Model):
            value = value.pk
        elif isinstance(value, list | tuple) or hasattr(value, "all"):
            items = value.all() if hasattr(value, "all") else value
            value = [v.pk if isinstance(v, Model) else v for v in items]
        data[name] = value
    return data


def test_admin_changes_are_audited_and_shown_at_once(tree, admin_client, agent_client):
    """A change in the Django admin lands in the audit log and moves the change
    stamp: readers see it on their next page, not after the caches expire."""
    from django.urls import reverse

    from manuals.models import AuditEntry, Visibility

    sop = tree["sop"]
    assert "退货流程" in _page(agent_client, sop)  # cached
    url = reverse("admin:manuals_section_change", args=[sop.pk])
    data = _admin_form_data(admin_client.get(url))
    data.update(title="退货流程（管理后台改）", visibility=Visibility.RESTRICTED)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == AuditEntry.Action.ADMIN
    assert entry.section_id == sop.pk and entry.detail["change"] == "edit"
    # Restricted to no group now: the agent loses it at once.
    response = agent_client.get(Section.objects.get(pk=sop.pk).get_absolute_url())
    assert response.status_code == 404


def test_faq_changes_show_on_cached_section_pages(tree, admin_user, agent_client):
    """Related FAQ entries are cached with the page; FAQ changes write audit entries,
    so a new or edited entry shows on the next page view."""
    from faq import services as faq_services
    from faq.models import EntryVisibility
    from manuals.models import AuditEntry

    refund = tree["refund"]
    assert "多久能退款" not in _page(agent_client, refund)  # cached
    entry = faq_services.entry_create(
        question="多久能退款？",
        answer="审核通过后 7 天内。",
        user=admin_user,
        visibility=EntryVisibility.INTERNAL,
        related_sections=[refund],
    )
    assert "多久能退款" in _page(agent_client, refund)
    faq_services.entry_update(
        entry=entry,
        user=admin_user,
        question="退款要多久到账？",
        answer="审核通过后 3 个工作日内。",
        category=None,
        order=0,
        visibility=EntryVisibility.INTERNAL,
        related_sections=[refund],
    )
    html = _page(agent_client, refund)
    assert "退款要多久到账" in html and "3 个工作日" in html
    assert AuditEntry.objects.filter(action=AuditEntry.Action.FAQ).count() == 2


def test_home_page_lists_follow_changes(tree, admin_user, publisher, agent_client):
    """The home page's manuals and "recently updated" are cached under the stamp:
    a new manual and a newly published section show on the next view."""
    from django.urls import reverse

    html = agent_client.get(reverse("home")).content.decode()  # now cached
    assert "新员工入职手册" not in html and "发票开具规则" not in html
    manual = make_section(title="新员工入职手册", user=admin_user)
    make_section(manual, title="发票开具规则", user=admin_user)
    html = agent_client.get(reverse("home")).content.decode()
    recent = html.split('class="kb-recent"', 1)[1]
    assert "新员工入职手册" in html and "发票开具规则" in recent
