from django import template

from ..messages import message_for

register = template.Library()


@register.filter
def notification_message(notification) -> str:
    """The sentence a notification says, in the current language."""
    return message_for(notification)
