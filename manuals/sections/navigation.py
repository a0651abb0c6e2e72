"""Cached navigation around a page: the sidebar tree (rendered), previous/next and
the children list.

They change only when the manual changes, and every change the services make writes
an audit entry, so the audit log gives a change stamp that every process reads with
one indexed query: a cache entry from before a change is never used again, in any
process, even with a per-process cache.
"""

from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.utils.translation import get_language

from ..models import AuditEntry
from ..permissions import audience_key, can_edit
from . import selectors

# Bounds staleness for changes made behind the services' back (e.g. the Django admin).
NAVIGATION_SECONDS = 600


# Ids are handed out when a row is written, not when its transaction commits: on
# PostgreSQL an entry can become visible below the newest id after a reader cached a
# page under that id. So the stamp also counts the entries among the newest
# STAMP_WINDOW ids, which such a late commit changes (entries are never deleted).
STAMP_WINDOW = 1000


def _stamp_sql() -> str:
    # Plain SQL through the cursor (Django's documented raw-SQL API): every page
    # asks this, and building it with the ORM cost more than the database takes.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    return (
        f"SELECT MAX(id), COUNT(id) FROM {table} "  # noqa: S608 - table and column names from the models
        f"WHERE id > (SELECT MAX(id) FROM {table}) - %s"
    )


def change_stamp() -> str:
    """Changes whenever an audit entry commits, in whatever order ids were given."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [STAMP_WINDOW])
        row = cursor.fetchone()
    last, recent = row if row else (None, 0)
    return f"{last or 0}.{recent}"


def page_navigation(user, section=None, ancestors=(), *, stamp=None) -> dict:
    """Sidebar HTML, previous/next, children and tags of `section`; for the home page
    (`section` None) the manuals and the recently updated sections."""
    key = ":".join(
        map(
            str,
            (
                "kb:nav:v3",
                stamp or change_stamp(),
                audience_key(user),
                int(can_edit(user)),
                get_language(),
                section.pk if section else 0,
            ),
        )
    )
    navigation = cache.get(key)
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
        cache.set(key, navigation, NAVIGATION_SECONDS)
    return navigation
