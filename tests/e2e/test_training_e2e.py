"""Real-browser walk through read confirmations and a learning path.

A trainer asks a team to confirm a section and assigns a path with it; the agent sees
the bar on the section and confirms; a publisher publishes a material change through
the editor; the agent is asked again, follows "what changed since you confirmed",
and the trainer's status page shows an older meaning confirmed. Screenshots: the
bar, the re-ask with its link, the status page, My training.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from manuals.people.models import Team
from tests.e2e.conftest import login, screenshot
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_confirm_material_change_reask_and_status(new_page, tree, publisher):
    call_command("setup_roles", verbosity=0)
    agent = make_user("agent", username="agent")
    make_user("trainer", username="trainer")
    team = Team.objects.create(name="售后组")
    team.members.add(agent)
    refund = tree["refund"]

    trainer = new_page(locale="en-US")
    login(trainer, "trainer")
    trainer.goto(f"/training/section/{refund.pk}/request/")
    trainer.select_option("select[name=team]", str(team.pk))
    trainer.fill("input[name=due]", "2030-01-31")
    with trainer.expect_navigation():
        trainer.click("main form button[type=submit]")
    expect(trainer.locator("[data-kb-confirm-counts]")).to_contain_text(
        "0 confirmed, 0 confirmed an older meaning, 1 not yet."
    )
    # And a path with the section as its first reading step.
    trainer.goto("/training/paths/")
    trainer.fill("input[name=name]", "新员工入职")
    with trainer.expect_navigation():
        trainer.click("main form button[type=submit]")
    trainer.select_option("select[name=section]", str(refund.pk))
    trainer.fill("input[name=minutes]", "30")
    with trainer.expect_navigation():
        trainer.click("button[name=add_step]")
    trainer.select_option("[data-kb-assign-form] select[name=team]", str(team.pk))
    with trainer.expect_navigation():
        trainer.click("button[name=assign]")
    expect(trainer.locator("[data-kb-assignments]")).to_contain_text("售后组")

    reader = new_page(locale="en-US")
    login(reader, "agent")
    reader.goto("/training/mine/")
    expect(reader.locator("[data-kb-progress]")).to_contain_text("0 of 1 steps done")
    reader.goto(refund.get_absolute_url())
    bar = reader.locator("[data-kb-confirm-bar]")
    expect(bar).to_contain_text("You are asked to read this section")
    screenshot(reader, "training-bar")
    with reader.expect_navigation():
        bar.locator("button").click()
    expect(reader.locator("[data-kb-confirm-bar]")).to_have_count(0)
    reader.goto("/training/mine/")
    expect(reader.locator("[data-kb-progress]")).to_contain_text("1 of 1 steps done")

    editor = new_page(locale="en-US")
    login(editor, "publisher")
    editor.goto(f"/section/{refund.pk}/edit/")
    editor.fill("textarea[name=body]", "## 规则\n\n退款 3 天内处理。")
    editor.check("input[name=material][value=yes]")
    with editor.expect_navigation():
        editor.click("button[name=publish]")

    reader.goto(refund.get_absolute_url())
    bar = reader.locator("[data-kb-confirm-bar]")
    expect(bar).to_contain_text("changed since you confirmed")
    screenshot(reader, "training-reask")
    with reader.expect_navigation():
        bar.locator("[data-kb-confirm-changes]").click()
    assert "/changes/?since=" in reader.url
    expect(reader.locator(".kb-diff ins").first).to_contain_text("3")

    trainer.goto(f"/training/section/{refund.pk}/confirmations/")
    expect(trainer.locator("[data-kb-status=outdated]")).to_contain_text(
        "Confirmed an older meaning"
    )
    screenshot(trainer, "training-status")
    reader.goto("/training/mine/")
    expect(reader.locator("[data-kb-step-state=read_again]")).to_have_count(1)
    screenshot(reader, "training-mine")
