"""Real-browser walk through the people screens: a manager creates a person with a
role and a team, the list shows the role by its display name, the new person sets
a password through their link and logs in; a CSV import previews and applies.

Screenshots: people_new.png, people_list.png, people_created.png, people_import_preview.png and
set_password.png in tests/e2e/screenshots/.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import translation
from django.utils.translation import pgettext
from playwright.sync_api import expect

from manuals.people.models import Team
from tests.e2e.conftest import login, screenshot
from tests.factories import make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manager(db):
    return make_user("manager", username="manager")


def zh(role):
    with translation.override("zh-hans"):
        return pgettext("role", role)


def test_manager_creates_a_person_with_role_and_team(new_page, manager, live_server):
    """From the header's People link: New person, tick Editor and the team, create;
    the link is shown once; the list shows the role in Chinese (the catalogue's
    word, not the group name "editor"); the new person sets a password with the
    link and logs in."""
    team = Team.objects.create(name="售后一组")
    editor = Group.objects.get(name="editor")
    page = new_page()
    login(page, "manager")
    page.locator(".kb-usernav a[href='/people/']").click()
    expect(page.locator("h1")).to_be_visible()
    page.locator("a[href='/people/new/']").first.click()
    page.fill("input[name=username]", "xiaoming")
    page.fill("input[name=name]", "小明")
    page.fill("input[name=email]", "xiaoming@example.com")
    page.check(f"input[name=roles][value='{editor.pk}']")
    page.check(f"input[name=teams][value='{team.pk}']")
    screenshot(page, "people_new")
    page.locator("form[data-kb-user-form] button[type=submit]").click()

    invite = page.locator("[data-kb-invite]")
    expect(invite).to_be_visible()
    url = page.locator("[data-kb-copy-source]").input_value()
    assert re.match(rf"{re.escape(live_server.url)}/people/set-password/", url)
    page.locator("[data-kb-copy]").click()
    screenshot(page, "people_created")

    page.goto("/people/")
    row = page.locator("tr[data-kb-person=xiaoming]")
    expect(row).to_contain_text("小明")
    expect(row).to_contain_text("售后一组")
    expect(row.locator("[data-kb-role=editor]")).to_have_text(zh("Editor"))
    screenshot(page, "people_list")
    user = get_user_model().objects.get(username="xiaoming")
    assert list(user.groups.all()) == [editor]
    assert list(user.kb_teams.all()) == [team]

    newcomer = new_page()
    newcomer.goto(url)
    newcomer.fill("input[name=new_password1]", "Xiao-ming-2027!")
    newcomer.fill("input[name=new_password2]", "Xiao-ming-2027!")
    screenshot(newcomer, "set_password")
    newcomer.locator("form[data-kb-set-password] button[type=submit]").click()
    expect(newcomer.locator("[data-kb-password-set]")).to_be_visible()
    login(newcomer, "xiaoming", "Xiao-ming-2027!")
    expect(newcomer.locator(".kb-user")).to_have_text("xiaoming")


def test_manager_imports_people_from_csv(page, manager, tmp_path):
    """A GBK file from Excel, the role in Chinese: the preview shows one new person
    and one bad row; importing creates the good one with a link."""
    path = tmp_path / "名单.csv"
    text = f"姓名,邮箱,团队,角色\n小红,xh@example.com,二组,{zh('Agent')}\n小刚,bad,,Agent\n"
    path.write_bytes(text.encode("gbk"))
    login(page, "manager")
    page.goto("/people/import/")
    page.set_input_files("input[name=file]", str(path))
    page.locator("form[data-kb-import-form] button[type=submit]").click()
    rows = page.locator("tr[data-kb-import-row]")
    expect(rows).to_have_count(2)
    expect(page.locator("tr[data-action=error]")).to_contain_text("bad")
    screenshot(page, "people_import_preview")
    page.locator("form[data-kb-import-apply] button[type=submit]").click()
    expect(page.locator("[data-kb-invite-row]")).to_have_count(1)
    xh = get_user_model().objects.get(username="xh")
    assert [g.name for g in xh.groups.all()] == ["agent"]
    assert [t.name for t in xh.kb_teams.all()] == ["二组"]
