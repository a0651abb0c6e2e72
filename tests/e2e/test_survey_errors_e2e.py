"""Real-browser survey refusals: an over-long comment keeps what the reader typed,
with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from feedback.models import ArticleFeedback
from manuals.models import Kind, Visibility
from tests.e2e.conftest import screenshot
from tests.factories import make_admin, make_section

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = "退款说明需要更新。" * 112 + "末尾"  # 1010 characters


@pytest.fixture
def article(db):
    admin = make_admin("survey-admin")
    root = make_section(
        title="帮助中心", kind=Kind.MANUAL, visibility=Visibility.PUBLIC, user=admin
    )
    return make_section(
        root,
        title="如何退货",
        visibility=Visibility.PUBLIC,
        user=admin,
        body="七天内。",
    )


def open_details(page, article):
    page.goto(f"/help/a/{article.pk}/")
    survey = page.locator("#kb-survey")
    survey.scroll_into_view_if_needed()
    survey.locator("button.kb-survey-no").click()
    return survey


def test_script_shows_the_error_and_keeps_the_comment(page, article):
    """With JavaScript the refusal shows above the form; the typed comment and the
    chosen reason stay as they were, and nothing is stored."""
    survey = open_details(page, article)
    expect(survey.locator(".kb-survey-thanks")).to_be_visible()
    survey.locator("input[name=reasons][value=outdated]").check()
    comment = survey.locator("textarea[name=comment]")
    # The box's maxlength stops typing; a pasted or scripted text can still exceed it.
    comment.evaluate("t => t.removeAttribute('maxlength')")
    comment.fill(LONG)
    survey.locator("[data-kb-survey-save]").click()
    alert = survey.locator("[data-kb-survey-errors]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("1000")
    expect(alert).to_be_focused()
    expect(comment).to_have_value(LONG)
    expect(comment).to_have_attribute("aria-invalid", "true")
    expect(survey.locator("input[value=outdated]")).to_be_checked()
    survey.screenshot(path=str(screenshot(page, "survey_refused")))
    assert ArticleFeedback.objects.get().comment == ""  # the first answer only

    comment.fill(LONG[:1000])
    survey.locator("[data-kb-survey-save]").click()
    expect(survey.locator("[data-kb-survey-errors]")).to_have_count(0)
    expect(survey.locator(".kb-survey-thanks")).to_be_visible()
    assert ArticleFeedback.objects.get().comment == LONG[:1000]


def test_without_script_the_page_shows_the_survey_again(browser, live_server, article):
    """Without JavaScript the post answers with the survey again, in the help
    centre's look, with the error and the typed comment; sending it shortened
    returns to the article."""
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="zh-CN"
    )
    try:
        page = context.new_page()
        survey = open_details(page, article)  # a full page load without script
        comment = survey.locator("textarea[name=comment]")
        comment.evaluate("t => t.removeAttribute('maxlength')")
        comment.fill(LONG)
        survey.locator("[data-kb-survey-save]").click()
        expect(page.locator("body.portal")).to_be_visible()
        expect(page.locator("[data-kb-survey-errors]")).to_contain_text("1000")
        expect(page.locator("textarea[name=comment]")).to_have_value(LONG)
        screenshot(page, "survey_refused_without_script")
        page.locator("textarea[name=comment]").evaluate(
            "t => t.removeAttribute('maxlength')"
        )
        page.locator("textarea[name=comment]").fill(LONG[:1000])
        page.locator("[data-kb-survey-save]").click()
        page.wait_for_url(f"**/help/a/{article.pk}/**")
        assert ArticleFeedback.objects.get().comment == LONG[:1000]
    finally:
        context.close()
