from django import template
from django.urls import reverse

from ..messages import message_for
from ..selectors import block_watched, watch_state_with_ancestors

register = template.Library()


@register.filter
def notification_message(notification) -> str:
    """The sentence a notification says, in the current language."""
    return message_for(notification)


@register.inclusion_tag("notifications/watch_button.html", takes_context=True)
def watch_button(context, section=None, block=None):
    """Watch / stop watching, for the signed-in reader (state from the session)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    session = getattr(request, "session", None)
    if section is not None:
        state = watch_state_with_ancestors(user=user, section=section, session=session)
        action = reverse("notifications:watch_section", kwargs={"pk": section.pk})
    else:
        state = (
            "section" if block_watched(user=user, block=block, session=session) else ""
        )
        action = reverse("notifications:watch_block", kwargs={"key": block.key})
    return {
        "show": True,
        "state": state,
        "action": action,
        "is_section": section is not None,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
