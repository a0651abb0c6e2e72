"""Admonition titles: in the reader's language unless the author wrote one, and the
render cache keeps the languages apart."""

import pytest
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import pgettext

from manuals import rendering
from manuals.rendering import render_cached, render_markdown

KINDS = {
    "note": "Note",
    "tip": "Tip",
    "info": "Info",
    "important": "Important",
    "warning": "Warning",
    "danger": "Danger",
}


def title_of(text: str, language: str) -> list[str]:
    with translation.override(language):
        html = str(render_markdown(text).html)
    return [
        part.split("</p>", 1)[0]
        for part in html.split('<p class="admonition-title">')[1:]
    ]


@pytest.mark.parametrize(("kind", "english"), KINDS.items())
def test_title_in_english(kind, english):
    """`!!! kind` without a title is titled in English for an English reader, and
    the box keeps its class (so it is styled)."""
    with translation.override("en"):
        html = str(render_markdown(f"!!! {kind}\n    正文。").html)
    assert f'<div class="admonition {kind}">' in html
    assert f'<p class="admonition-title">{english}</p>' in html


@pytest.mark.parametrize(("kind", "english"), KINDS.items())
def test_title_in_chinese(kind, english):
    """For a Chinese reader the title is the Chinese catalogue's word for it (the
    msgid with the context "admonition title")."""
    with translation.override("zh-hans"):
        expected = pgettext("admonition title", english)
    assert title_of(f"!!! {kind}\n    正文。", "zh-hans") == [expected]


def test_author_title_kept_in_every_language():
    """A title the author gave is shown as written, whatever the reader's language;
    an empty one means no title at all."""
    text = '!!! warning "自定义"\n    不要退款。\n\n!!! note ""\n    无标题。'
    assert title_of(text, "en") == ["自定义"]
    assert title_of(text, "zh-hans") == ["自定义"]


def test_author_title_in_english_words_is_not_translated(monkeypatch):
    """`!!! warning "Warning"` is the author's word, not the default title: it stays
    English even where the default would be translated."""
    monkeypatch.setitem(rendering.ADMONITION_TITLES, "warning", "警告")
    assert title_of('!!! warning "Warning"\n    x', "zh-hans") == ["Warning"]
    assert title_of("!!! warning\n    x", "zh-hans") == ["警告"]


def test_unknown_type_keeps_markdowns_title():
    """A type we do not style keeps python-Markdown's title (its capitalised name)
    and loses its class to the sanitizer."""
    assert title_of("!!! custom\n    x", "en") == ["Custom"]


def test_title_is_text_not_markup(monkeypatch):
    """A translated title is text: markup in a catalogue cannot reach the page."""
    monkeypatch.setitem(rendering.ADMONITION_TITLES, "tip", "*<b>x</b>*")
    with translation.override("en"):
        html = str(render_markdown("!!! tip\n    y").html)
    assert "<em>" not in html
    assert "<b>" not in html


def _by_language():
    return {"en": "Warning", "zh-hans": "警告"}.get(translation.get_language(), "?")


def test_render_cache_keeps_languages_apart(monkeypatch):
    """The same revision rendered for the same audience is cached once per language:
    an English reader never gets the Chinese rendering from the cache, nor the other
    way round."""
    monkeypatch.setitem(
        rendering.ADMONITION_TITLES, "warning", lazy(_by_language, str)()
    )
    text = "!!! warning\n    不要退款。"
    seen = {}
    for language in ("zh-hans", "en", "zh-hans", "en"):
        with translation.override(language):
            html = str(render_cached("Revision:test", text, "public").html)
        seen.setdefault(language, set()).add(html)
    assert {lang: len(htmls) for lang, htmls in seen.items()} == {"zh-hans": 1, "en": 1}
    assert '<p class="admonition-title">警告</p>' in next(iter(seen["zh-hans"]))
    assert '<p class="admonition-title">Warning</p>' in next(iter(seen["en"]))
