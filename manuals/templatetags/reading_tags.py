"""Template tags of a reader's own things: the star that keeps a section in their
favourites."""

from django import template

from ..sections.reading import favourite_ids

register = template.Library()


@register.inclusion_tag("manuals/_favourite_star.html", takes_context=True)
def favourite_star(context, section, next_url=""):
    """The star of `section` for the signed-in reader (nothing for anyone else):
    a plain form that works without a script; its state costs no query."""
    request = context["request"]
    return {
        "section": section,
        "show": request.user.is_authenticated,
        "starred": section.pk in favourite_ids(request),
        "next_url": next_url,
        "csrf_token": context.get("csrf_token"),
    }
