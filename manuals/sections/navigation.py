"""Cached navigation around a page: the sidebar tree (rendered), previous/next and
the children list, kept under the change stamp (manuals.cache)."""

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.translation import get_language

from ..cache import NAVIGATION_SECONDS, change_stamp, key
from ..permissions import audience_key, can_edit
from . import selectors


def page_navigation(user, section=None, ancestors=(), *, stamp=None) -> dict:
    """Sidebar HTML, previous/next, children and tags of `section`; for the home page
    (`section` None) the manuals and the recently updated sections."""
    name = key(
        "nav",
        3,
        stamp or change_stamp(),
        audience_key(user),
        int(can_edit(user)),
        get_language(),
        section.pk if section else 0,
    )
    navigation = cache.get(name)
    if navigation is None:
        prev, nxt = selectors.previous_next(user, section) if section else (None, None)
        tree = selectors.sidebar_tree(user, section, list(ancestors))
        navigation = {
            "sidebar_html": render_to_string("includes/tree.html", {"nodes": tree}),
            "prev_section": prev,
            "next_section": nxt,
            "children": list(selectors.children_of(user, section)) if section else [],
            # Tag changes write an audit entry too (update_section_settings).
            "tags": [tag.name for tag in section.tags.all()] if section else [],
        }
        if section is None:  # the home page: the manuals and what changed lately
            navigation["manuals"] = list(selectors.manuals_for(user))
            navigation["recent"] = list(selectors.recently_updated(user, limit=12))
        cache.set(name, navigation, NAVIGATION_SECONDS)
    return navigation
