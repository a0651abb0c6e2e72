"""`{% section_panels section %}`: what the apps built on the manual show on a
section page (manuals.hooks.provide_section_panel), without the manual knowing them."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from .. import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def section_panels(context, section) -> SafeString:
    request = context.get("request")
    if request is None:
        return SafeString("")
    return format_html_join(
        "",
        "{}",
        (
            (html,)
            for html in hooks.section_panels(request, section, context.get("kb_stamp"))
        ),
    )
