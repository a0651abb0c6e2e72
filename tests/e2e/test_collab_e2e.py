"""Two editors in two browsers edit the same section: presence shows, a
non-overlapping second save merges, and an overlapping one is resolved on the
conflict page without losing either text."""

import pytest

from manuals.models import Section
from tests.e2e.conftest import login, screenshot
from tests.factories import make_section, make_user

BODY = "第一行 问候客户\n第二行 核实订单\n第三行 解决问题\n第四行 结束语\n"


@pytest.fixture
def shared(transactional_db):
    admin = make_user(username="boss", is_superuser=True)
    make_user("editor", "publisher", username="alice")
    make_user("editor", "publisher", username="bob")
    return make_section(title="接待流程", body=BODY, user=admin)


def _open_editor(page, section):
    page.goto(f"/section/{section.pk}/edit/")
    page.wait_for_selector("textarea[name=body]")


def _publish(page, section):
    """Press "save and publish" and wait for the section page."""
    with page.expect_navigation():
        page.click("button[name=publish]")
    assert f"/s/{section.pk}/" in page.url


def _set_body(page, text):
    page.fill("textarea[name=body]", text)


@pytest.mark.django_db(transaction=True)
def test_two_editors_presence_merge_and_conflict(new_page, shared):
    alice, bob = new_page(), new_page()
    login(alice, "alice")
    login(bob, "bob")
    _open_editor(alice, shared)
    _open_editor(bob, shared)
    # Presence: each sees the other once their heartbeats have gone out.
    alice.reload()
    alice.wait_for_selector("[data-kb-presence]:not([hidden])")
    assert "bob" in alice.inner_text("[data-kb-presence]")

    # Alice saves a change to line 1; Bob, still on the old revision, changes line 4.
    _set_body(alice, BODY.replace("问候客户", "热情问候客户"))
    _publish(alice, shared)
    _set_body(bob, BODY.replace("结束语", "礼貌结束语"))
    _publish(bob, shared)
    assert "合并" in bob.inner_text(".kb-messages") or "merged" in bob.inner_text(
        ".kb-messages"
    )
    head = Section.objects.get(pk=shared.pk).head_revision
    assert "热情问候客户" in head.body and "礼貌结束语" in head.body

    # Now both change line 2 from the same revision: Bob gets the conflict page.
    _open_editor(alice, shared)
    _open_editor(bob, shared)
    base = Section.objects.get(pk=shared.pk).head_revision.body
    _set_body(alice, base.replace("核实订单", "核实订单号"))
    _publish(alice, shared)
    _set_body(bob, base.replace("核实订单", "核实收货地址"))
    bob.click("button[name=publish]")
    bob.wait_for_selector(".kb-banner-conflict")
    merged = bob.input_value("textarea[name=body]")
    assert "核实订单号" in merged and "核实收货地址" in merged and "<<<<<<<" in merged
    screenshot(bob, "collab-conflict")
    # Bob resolves by keeping both facts and removing the markers.
    _set_body(bob, base.replace("核实订单", "核实订单号与收货地址"))
    _publish(bob, shared)
    final = Section.objects.get(pk=shared.pk).published_revision.body
    assert "核实订单号与收货地址" in final and "<<<<<<<" not in final
    screenshot(bob, "collab-resolved")


@pytest.mark.django_db(transaction=True)
def test_autosave_survives_leaving_the_page(new_page, shared):
    """Typed text is kept as a draft and offered back after the tab is closed."""
    page = new_page()
    login(page, "alice")
    _open_editor(page, shared)
    page.fill("textarea[name=body]", BODY + "第五行 没来得及保存的内容\n")
    page.dispatch_event("textarea[name=body]", "input")
    page.wait_for_selector("[data-kb-autosave-status]:not(:empty)", timeout=8000)
    page.close()
    again = new_page()
    login(again, "alice")
    _open_editor(again, shared)
    again.wait_for_selector("[data-kb-draft-offer]")
    screenshot(again, "collab-draft-offer")
    again.click("[data-kb-draft-offer] a")
    assert "没来得及保存的内容" in again.input_value("textarea[name=body]")


@pytest.mark.django_db(transaction=True)
def test_block_conflict_text_survives_leaving_the_page(new_page, shared):
    """Two editors change the same line of a block; the one whose save collides
    leaves the page without resolving, comes back and gets their text offered."""
    from manuals.blocks import services as blocks
    from manuals.models import Block

    alice_user = make_user("editor", "publisher", username="alice")
    blocks.block_create(
        key="greeting",
        title="问候语",
        body="您好，这里是客服中心。\n请问有什么可以帮您？\n",
        visibility="internal",
        user=alice_user,
        publish=True,
    )
    alice, bob = new_page(), new_page()
    login(alice, "alice")
    login(bob, "bob")
    for page in (alice, bob):
        page.goto("/blocks/greeting/edit/")
        page.wait_for_selector("textarea[name=body]")
    alice.fill("textarea[name=body]", "您好，这里是售后中心。\n请问有什么可以帮您？\n")
    with alice.expect_navigation():
        alice.click("button[name=save]")
    bob.fill("textarea[name=body]", "您好，这里是 VIP 客服。\n请问有什么可以帮您？\n")
    bob.click("button[name=save]")
    bob.wait_for_selector(".kb-banner-conflict")

    bob.goto("/blocks/")  # leaves without resolving
    bob.goto("/blocks/greeting/edit/")
    offer = bob.locator("[data-kb-draft-offer]")
    offer.wait_for()
    screenshot(bob, "block-conflict-kept")
    with bob.expect_navigation():
        offer.locator("a").click()
    assert "VIP 客服" in bob.input_value("textarea[name=body]")
    # Bob settles on Alice's wording plus his: the kept text is then resolved.
    bob.fill(
        "textarea[name=body]",
        "您好，这里是售后中心（VIP 客服）。\n请问有什么可以帮您？\n",
    )
    with bob.expect_navigation():
        bob.click("button[name=save]")
    bob.wait_for_selector(".kb-banner-conflict")  # based on the old head: merge again
    bob.fill(
        "textarea[name=body]",
        "您好，这里是售后中心（VIP 客服）。\n请问有什么可以帮您？\n",
    )
    with bob.expect_navigation():
        bob.click("button[name=save]")
    head = Block.objects.get(key="greeting").head_revision
    assert "售后中心（VIP 客服）" in head.body
    bob.goto("/blocks/greeting/edit/")
    assert bob.locator("[data-kb-draft-offer]").count() == 0

    # Another collision, and this time Bob throws his kept text away.
    from django.contrib.auth import get_user_model

    from manuals.models import BlockDraft

    bob_user = get_user_model().objects.get(username="bob")
    old = Block.objects.get(key="greeting").head_revision
    blocks.block_save(
        block=old.block,
        user=alice_user,
        base=old,
        body=old.body.replace("您好", "你好"),
    )
    blocks.block_save(
        block=old.block,
        user=bob_user,
        base=old,
        body=old.body.replace("您好", "您好呀"),
    )
    bob.goto("/blocks/greeting/edit/")
    with bob.expect_navigation():
        bob.locator("[data-kb-draft-offer] button").click()
    assert bob.locator("[data-kb-draft-offer]").count() == 0
    assert not BlockDraft.objects.exists()
