"""The FAQ: agents ask, editors answer (the answer becomes an entry and the asker is
told in the site), merge duplicates or reject; entries by category, on related
sections, and in search with their visibility."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from faq import services
from faq.models import Entry, EntryVisibility, Question, QuestionStatus
from faq.search import EntryDocumentBuilder, entry_document
from manuals.notifications.models import Notification
from manuals.search import registry
from manuals.search import services as search
from tests.factories import make_user


def ask(client, text, **extra):
    return client.post(reverse("faq:ask"), {"text": text, **extra})


def test_agent_asks_from_a_section(agent_client, agent, tree):
    """An agent asks from an article's page and returns to it; the question keeps
    the section it was asked on."""
    refund = tree["refund"]
    page = agent_client.get(refund.get_absolute_url()).content.decode()
    assert f'action="{reverse("faq:ask")}"' in page
    response = ask(
        agent_client,
        "部分退款怎么算?",
        section=refund.pk,
        next=refund.get_absolute_url(),
    )
    assert response.status_code == 302
    assert response["Location"] == refund.get_absolute_url()
    question = Question.objects.get()
    assert (question.asked_by, question.section, question.status) == (
        agent,
        refund,
        QuestionStatus.OPEN,
    )


def test_ask_from_a_search_without_results(agent_client):
    """From a search with no results the form comes filled with the query."""
    html = agent_client.get(reverse("faq:ask"), {"q": "发票抬头"}).content.decode()
    assert 'value="发票抬头"' in html
    ask(agent_client, "发票抬头怎么改?", q="发票抬头")
    assert Question.objects.get().search_query == "发票抬头"


def test_ask_never_redirects_off_site(agent_client):
    response = ask(agent_client, "问题", next="https://evil.example/")
    assert response["Location"] == reverse("faq:mine")


def test_only_editors_see_the_queue(agent_client, editor_client, agent, editor, db):
    """Agents cannot open the question queue or answer; editors can."""
    question = services.question_ask(text="问题一", user=agent)
    editor_client.force_login(agent)
    assert editor_client.get(reverse("faq:queue")).status_code == 403
    assert (
        editor_client.get(reverse("faq:question", args=[question.pk])).status_code
        == 403
    )
    editor_client.force_login(editor)
    html = editor_client.get(reverse("faq:queue")).content.decode()
    assert "问题一" in html


def test_answer_becomes_an_entry_and_the_asker_is_told(client, agent, editor, tree):
    """The editor's answer becomes an FAQ entry (rendered by the one pipeline), the
    question is answered, and the asker sees a notice until they read it."""
    question = services.question_ask(
        text="部分退款怎么算?", user=agent, section=tree["refund"]
    )
    client.force_login(editor)
    response = client.post(
        reverse("faq:question", args=[question.pk]),
        {
            "action": "answer",
            "question": "部分退款如何计算",
            "answer": "按**实付金额**比例退还。<script>alert(1)</script>",
            "new_category": "退款",
            "order": "0",
            "visibility": "internal",
        },
    )
    entry = Entry.objects.get()
    assert response["Location"] == entry.get_absolute_url()
    assert entry.question == "部分退款如何计算"
    assert entry.category.name == "退款"
    assert list(entry.related_sections.all()) == [tree["refund"]]
    question.refresh_from_db()
    assert (question.status, question.entry, question.handled_by) == (
        QuestionStatus.ANSWERED,
        entry,
        editor,
    )
    client.force_login(agent)
    home = client.get(reverse("home")).content.decode()
    assert 'class="kb-unread"' in home
    mine = client.get(reverse("faq:mine")).content.decode()
    assert entry.get_absolute_url() in mine and "is-unread" in mine
    assert 'class="kb-unread"' not in client.get(reverse("home")).content.decode()
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "<strong>实付金额</strong>" in page
    assert "<script>alert(1)" not in page


def test_answer_with_an_existing_entry(agent, editor, db):
    """An editor can answer with an entry that already exists; no new entry."""
    entry = services.entry_create(
        question="Q", answer="A", user=editor, visibility=EntryVisibility.INTERNAL
    )
    question = services.question_ask(text="Q?", user=agent)
    services.question_answer(question=question, user=editor, existing_entry=entry)
    assert Entry.objects.count() == 1
    assert Notification.objects.get().recipient == agent


def test_merged_duplicates_are_answered_together(agent, editor, db):
    """A duplicate merged into a question is answered with it: both askers are told
    and both point at the entry."""
    other = make_user("agent", username="agent2")
    first = services.question_ask(text="怎么退款?", user=agent)
    second = services.question_ask(text="如何退款", user=other)
    services.question_merge(question=second, into=first, user=editor)
    second.refresh_from_db()
    assert (second.status, second.duplicate_of) == (QuestionStatus.MERGED, first)
    entry = services.question_answer(question=first, user=editor, answer="见退款政策。")
    second.refresh_from_db()
    assert second.entry == entry
    names = Notification.objects.values_list("recipient__username", flat=True)
    assert sorted(names) == [
        "agent",
        "agent2",
    ]


def test_handled_question_cannot_be_handled_again(agent, editor, db):
    from django.core.exceptions import ValidationError

    question = services.question_ask(text="Q", user=agent)
    services.question_answer(question=question, user=editor, answer="A")
    with pytest.raises(ValidationError):
        services.question_reject(question=question, reason="x", user=editor)


def test_reject_needs_a_reason_the_asker_sees(client, agent, editor, db):
    """Rejecting asks for a reason; the asker is told and sees it."""
    question = services.question_ask(text="能不能放假?", user=agent)
    client.force_login(editor)
    url = reverse("faq:question", args=[question.pk])
    client.post(url, {"action": "reject", "reason": ""})
    question.refresh_from_db()
    assert question.status == QuestionStatus.OPEN
    client.post(url, {"action": "reject", "reason": "不属于培训手册的范围"})
    question.refresh_from_db()
    assert question.status == QuestionStatus.REJECTED
    client.force_login(agent)
    assert "不属于培训手册的范围" in client.get(reverse("faq:mine")).content.decode()


def test_faq_index_by_category_and_visibility(client, editor, tree, db):
    """The FAQ lists entries by category in order; staff see internal entries,
    a logged-in reader without staff rights sees only public ones."""
    services.entry_create(
        question="内部问题", answer="内部", user=editor, visibility="internal"
    )
    services.entry_create(
        question="公开问题", answer="公开", user=editor, visibility="public"
    )
    client.force_login(editor)
    html = client.get(reverse("faq:index")).content.decode()
    assert "内部问题" in html and "公开问题" in html
    client.force_login(make_user(username="customer"))
    html = client.get(reverse("faq:index")).content.decode()
    assert "公开问题" in html and "内部问题" not in html
    internal = Entry.objects.get(question="内部问题")
    assert client.get(internal.get_absolute_url()).status_code == 404


def test_related_entries_show_on_the_section(agent_client, editor, tree):
    """An entry linked to a section is shown at the end of that section."""
    services.entry_create(
        question="退款多久到账?",
        answer="3-5 个工作日",
        user=editor,
        visibility="internal",
        related_sections=[tree["refund"]],
    )
    html = agent_client.get(tree["refund"].get_absolute_url()).content.decode()
    assert "退款多久到账?" in html and "3-5 个工作日" in html
    html = agent_client.get(tree["sop"].get_absolute_url()).content.decode()
    assert "退款多久到账?" not in html


def test_entries_are_registered_with_search(db):
    """FAQ entries register a document builder with the search registry."""
    assert isinstance(registry.get_builder("faq"), EntryDocumentBuilder)


def test_entry_document_variants_by_visibility(editor, db):
    """An internal entry is a staff-only document; a public one serves both."""
    internal = services.entry_create(
        question="内部", answer="甲", user=editor, visibility="internal"
    )
    public = services.entry_create(
        question="公开", answer="乙", user=editor, visibility="public"
    )
    assert [v.audiences for v in entry_document(internal).variants] == [
        frozenset({registry.STAFF})
    ]
    assert entry_document(public).variants[0].audiences == frozenset(
        {registry.PUBLIC, registry.STAFF}
    )
    assert entry_document(public).url == public.get_absolute_url()


def test_faq_in_search_with_visibility(agent, editor, index_now, db):
    """Search finds FAQ entries: staff find internal and public entries, the public
    only public ones; after an edit the index follows."""
    internal = services.entry_create(
        question="发票抬头怎么修改",
        answer="在订单页修改 internalfaqcanary",
        user=editor,
        visibility="internal",
    )
    public = services.entry_create(
        question="发票什么时候寄出",
        answer="发货后三天内",
        user=editor,
        visibility="public",
    )
    index_now()

    def faq_ids(user, q):
        results = search.search_sections(user=user, parsed=search.parse(q))
        return {h.object_id for h in results.hits if h.doc_type == "faq"}

    assert faq_ids(agent, "发票") == {internal.pk, public.pk}
    assert faq_ids(AnonymousUser(), "发票") == {public.pk}
    assert faq_ids(AnonymousUser(), "internalfaqcanary") == set()
    services.entry_update(
        entry=internal,
        user=editor,
        question=internal.question,
        answer=internal.answer,
        category=None,
        order=0,
        visibility="public",
    )
    index_now()
    assert faq_ids(AnonymousUser(), "internalfaqcanary") == {internal.pk}
    services.entry_delete(
        entry=internal, user=make_user(username="boss", is_superuser=True)
    )
    index_now()
    assert faq_ids(agent, "internalfaqcanary") == set()


def test_ask_include_for_a_search_without_results(rf, agent, db):
    """The include the search page shows on zero results carries the query, and is
    empty for visitors who may not ask."""
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get("/search/?q=发票")
    request.user = agent
    html = render_to_string(
        "includes/ask_question.html", {"query": "发票"}, request=request
    )
    assert 'name="q" value="发票"' in html
    request.user = AnonymousUser()
    html = render_to_string(
        "includes/ask_question.html", {"query": "发票"}, request=request
    )
    assert "<form" not in html


def test_following_an_faq_result_counts_as_a_click(agent_client, editor, index_now):
    """An FAQ hit links through the click recorder like a section hit: the search
    counts as answered (not a knowledge gap) and the reader lands on the entry.
    Someone who may not see the entry gets 404 and nothing is recorded."""
    import html as html_lib
    import re

    from feedback import events
    from feedback.models import SearchEvent
    from feedback.selectors import query_stats

    entry = services.entry_create(
        question="发票抬头怎么修改",
        answer="在订单页修改。",
        user=editor,
        visibility="internal",
    )
    index_now()
    page = agent_client.get(reverse("search:results"), {"q": "发票抬头"})
    links = re.findall(r'href="([^"]*faq=\d+[^"]*)"', page.content.decode())
    assert len(links) == 1, links
    response = agent_client.get(html_lib.unescape(links[0]))
    assert response.status_code == 302
    assert response["Location"] == entry.get_absolute_url()
    events.flush()
    event = SearchEvent.objects.get()
    assert event.clicked_faq == entry and event.clicked_section is None
    assert event.clicked_rank == 1 and event.clicks == 1
    stats = query_stats(since_day=event.created.date())[event.normalized]
    assert stats.searches == 1 and stats.clicked == 1

    from django.test import Client

    anonymous = Client()
    assert anonymous.get(html_lib.unescape(links[0])).status_code == 404
    assert SearchEvent.objects.get().clicks == 1


def test_answer_edited_in_the_admin_shows_at_once(editor, admin_client, agent_client):
    """The rendered answer is cached by its text, so an edit in the Django admin
    (which leaves `updated` alone) is what readers see next."""
    entry = services.entry_create(
        question="运费谁出", answer="卖家承担运费。", user=editor, visibility="internal"
    )
    url = reverse("faq:entry", args=[entry.pk])
    assert "卖家承担运费" in agent_client.get(url).content.decode()  # now cached
    Entry.objects.filter(pk=entry.pk).update(answer="买家承担运费。")
    html = agent_client.get(url).content.decode()
    assert "买家承担运费" in html and "卖家承担运费" not in html
