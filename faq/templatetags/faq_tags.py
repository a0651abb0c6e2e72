"""Template tags: related FAQ entries on a section page, the unread-notice badge."""

from django import template

from .. import selectors
from ..forms import AskForm
from ..permissions import can_ask

register = template.Library()


@register.inclusion_tag("faq/_related.html", takes_context=True)
def related_faq(context, section):
    """FAQ entries linked to `section` that the reader may see, and the ask form."""
    request = context["request"]
    user = request.user
    entries = [
        (e, selectors.rendered_answer(e, user))
        for e in selectors.related_entries(section=section, user=user)
    ]
    return {
        "entries": entries,
        "section": section,
        "can_ask": can_ask(user),
        "ask_form": AskForm(
            initial={"section": section.pk, "next": request.get_full_path()}
        ),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def faq_unread_count(context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    known = getattr(request.user, "kb_unread_notices", None)  # see kbsite.auth
    if known is not None:
        return known
    return selectors.unread_notifications(user=request.user).count()


@register.simple_tag(takes_context=True)
def faq_can_ask(context) -> bool:
    """May the reader ask a question (the ask form shows only then)?"""
    request = context.get("request")
    return request is not None and can_ask(request.user)
