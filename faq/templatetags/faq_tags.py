"""Template tags: related FAQ entries on a section page, the unread-notice badge."""

from django import template
from django.core.cache import cache
from django.utils.translation import get_language

from manuals.cache import NAVIGATION_SECONDS, key
from manuals.permissions import audience_key

from .. import selectors
from ..forms import AskForm
from ..permissions import can_ask

register = template.Library()


@register.inclusion_tag("faq/_related.html", takes_context=True)
def related_faq(context, section):
    """FAQ entries linked to `section` that the reader may see, and the ask form."""
    request = context["request"]
    user = request.user
    return {
        "entries": _related(section, user, context.get("kb_stamp")),
        "section": section,
        "can_ask": can_ask(user),
        "ask_form": AskForm(
            initial={"section": section.pk, "next": request.get_full_path()}
        ),
        "request": request,
    }


def _related(section, user, stamp) -> list:
    """[(entry, answer html)] for the page; kept under the change stamp when the page
    gives one (FAQ changes write audit entries, so they change the stamp)."""
    if stamp is None:
        return _related_now(section, user, None)
    # The answers are rendered HTML, whose admonition titles are in the reader's
    # language: the language is part of the key.
    name = key("faq-related", 2, stamp, section.pk, audience_key(user), get_language())
    entries = cache.get(name)
    if entries is None:
        entries = _related_now(section, user, stamp)
        cache.set(name, entries, NAVIGATION_SECONDS)
    return entries


def _related_now(section, user, stamp) -> list:
    return [
        (e, selectors.rendered_answer(e, user, stamp=stamp))
        for e in selectors.related_entries(section=section, user=user)
    ]


@register.simple_tag(takes_context=True)
def faq_can_ask(context) -> bool:
    """May the reader ask a question (the ask form shows only then)?"""
    request = context.get("request")
    return request is not None and can_ask(request.user)
