"""A block save that collides with someone else's change keeps the editor's text
(as section conflicts do): offered back on the edit page until saved or discarded."""

import pytest
from django.urls import reverse

from manuals.blocks import services as blocks
from manuals.models import Block, BlockDraft
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BODY = "第一行\n第二行：退货 7 天\n第三行\n"


@pytest.fixture
def block():
    author = make_user("editor", "publisher", username="block-author")
    return blocks.block_create(
        key="return-window",
        title="退货时限",
        body=BODY,
        visibility="internal",
        user=author,
        publish=True,
    )


@pytest.fixture
def two_editors():
    return (
        make_user("editor", "publisher", username="lin"),
        make_user("editor", "publisher", username="wang"),
    )


def _collide(block, lin, wang):
    """Both start from the same head; lin saves first, wang's save collides."""
    base = Block.objects.get(pk=block.pk).head_revision
    saved = blocks.block_save(
        block=block, user=lin, base=base, body=BODY.replace("7 天", "14 天")
    )
    assert saved.status == "saved"
    return blocks.block_save(
        block=block, user=wang, base=base, body=BODY.replace("7 天", "30 天")
    )


def test_collision_keeps_the_editors_own_text(block, two_editors):
    lin, wang = two_editors
    result = _collide(block, lin, wang)
    assert result.status == "conflict" and result.revision is None
    draft = BlockDraft.objects.get()
    assert draft.user == wang and draft.body == BODY.replace("7 天", "30 天")
    assert draft == result.draft
    assert draft.conflict_with == Block.objects.get(pk=block.pk).head_revision
    assert blocks.block_pending_draft(block=block, user=wang) == draft
    assert blocks.block_pending_draft(block=block, user=lin) is None


def test_saving_from_the_conflict_resolves_the_draft(block, two_editors):
    lin, wang = two_editors
    draft = _collide(block, lin, wang).draft
    head = Block.objects.get(pk=block.pk).head_revision
    other = blocks.block_save(
        block=block, user=wang, base=head, body=BODY.replace("7 天", "21 天")
    )
    assert other.ok and BlockDraft.objects.filter(pk=draft.pk).exists()  # not named
    head = Block.objects.get(pk=block.pk).head_revision
    done = blocks.block_save(
        block=block, user=wang, base=head, body=head.body, resolves=draft.pk
    )
    assert done.status == "unchanged"  # taking their text also resolves it
    assert not BlockDraft.objects.exists()


def test_edit_page_offers_restores_and_discards_the_kept_text(
    block, two_editors, client
):
    lin, wang = two_editors
    _collide(block, lin, wang)
    client.force_login(wang)
    url = reverse("manuals:block_edit", args=[block.key])
    html = client.get(url).content.decode()
    assert "data-kb-draft-offer" in html
    restored = client.get(url + "?draft=restore").content.decode()
    assert "30 天" in restored and "data-kb-draft-offer" not in restored
    draft = BlockDraft.objects.get()
    assert f'name="resolves" value="{draft.pk}"' in restored

    # Saving the restored text (based on the old head) collides again: kept, the
    # new text replacing the one it was restored from.
    form = {"title": "退货时限", "body": draft.body, "base": draft.base_id}
    response = client.post(url, {**form, "resolves": draft.pk, "save": "1"})
    assert (
        response.status_code == 200
        and "kb-banner-conflict" in response.content.decode()
    )
    assert BlockDraft.objects.get().pk != draft.pk

    client.post(reverse("manuals:block_discard_draft", args=[block.key]))
    assert not BlockDraft.objects.exists()
    assert "data-kb-draft-offer" not in client.get(url).content.decode()


def test_readers_cannot_discard_drafts(block, two_editors, client):
    lin, wang = two_editors
    _collide(block, lin, wang)
    client.force_login(make_user("agent", username="reader"))
    url = reverse("manuals:block_discard_draft", args=[block.key])
    assert client.post(url).status_code in (403, 404)
    assert BlockDraft.objects.count() == 1
