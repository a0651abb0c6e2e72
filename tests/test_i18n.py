"""The interface speaks Chinese by default and English on request; catalogues complete."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_catalogue_complete_and_compiled(lang):
    """Every message has a translation, none fuzzy, and the .mo matches the .po."""
    po = polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))
    assert len(po) > 100
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    mo = polib.mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == (
            entry.msgstr,
            {int(k): v for k, v in entry.msgstr_plural.items()}
            if entry.msgstr_plural
            else {},
        ), f"{lang}: .mo is stale for {entry.msgid!r}; run make messages"


def test_chinese_is_the_default(agent_client, tree):
    """Without a language preference the interface is in Simplified Chinese."""
    html = agent_client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "最近更新" in html


def test_english_on_request(agent_client, tree):
    """A browser asking for English gets the English interface."""
    html = agent_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Recently updated" in html


def test_language_switch_works_before_login(client):
    """The language switch on the login page works for anonymous visitors."""
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}
    )
    assert response.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
