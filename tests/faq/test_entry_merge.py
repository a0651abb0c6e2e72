"""Two editors changing one FAQ answer: no one's words are lost."""

import pytest
from django.urls import reverse

from faq import services
from faq.models import Entry
from tests.factories import make_user

BASE = "第一行 问候\n第二行 查询订单\n第三行 退款说明\n第四行 结束语\n"


@pytest.fixture
def entry(admin_user):
    return services.entry_create(
        question="怎么退款？", answer=BASE, user=admin_user, visibility="internal"
    )


def _fields(entry, **changes):
    data = {
        "question": entry.question,
        "answer": entry.answer,
        "order": 0,
        "visibility": "internal",
        "base_question": entry.question,
        "base_answer": entry.answer,
    }
    data.update(changes)
    return data


def test_non_overlapping_edits_merge(entry, client):
    """Both editors started from the same text and changed different lines: the
    second save keeps the first one's change and says it merged."""
    editor = make_user("editor", username="faq-editor")
    client.force_login(editor)
    url = reverse("faq:edit", args=[entry.pk])
    assert 'name="base_answer"' in client.get(url).content.decode()
    first = _fields(entry, answer=BASE.replace("第一行 问候", "第一行 热情问候"))
    second = _fields(entry, answer=BASE.replace("第四行 结束语", "第四行 礼貌结束语"))
    assert client.post(url, first).status_code == 302
    response = client.post(url, second, follow=True)
    answer = Entry.objects.get(pk=entry.pk).answer
    assert "热情问候" in answer and "礼貌结束语" in answer
    assert "合并" in response.content.decode() or "merged" in response.content.decode()


def test_overlapping_edits_come_back_marked(entry, client):
    """Both changed the same line: nothing is saved over the first, and the second
    editor gets the form back with both versions marked."""
    editor = make_user("editor", username="faq-editor")
    client.force_login(editor)
    url = reverse("faq:edit", args=[entry.pk])
    client.post(url, _fields(entry, answer=BASE.replace("查询订单", "查询订单号")))
    saved = Entry.objects.get(pk=entry.pk).answer
    response = client.post(
        url, _fields(entry, answer=BASE.replace("查询订单", "核对地址"))
    )
    assert response.status_code == 200
    assert Entry.objects.get(pk=entry.pk).answer == saved
    form = response.context["form"]
    assert (
        "查询订单号" in form.initial["answer"] and "核对地址" in form.initial["answer"]
    )
    assert "<<<<<<<" in form.initial["answer"]
    assert form.initial["base_answer"] == saved
