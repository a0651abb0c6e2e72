"""Every cache key of the manual, and the change stamp content-derived ones are kept
under.

Pages keep their section, navigation, rendered text and related FAQ in the cache.
They change only when the manual changes, and every change the services (or the
Django admin) make writes an audit entry, so the audit log gives a change stamp that
every process reads with one indexed query: a cache entry from before a change is
never used again, in any process, even with a per-process cache. A key names what it
holds, a version (bump it when the value's shape changes) and what decides the value
(the stamp, the reader's `Audience.key`, the language).
"""

from django.apps import apps
from django.db import connection

# Bounds staleness for changes made behind the services' back (a shell, raw SQL).
NAVIGATION_SECONDS = 600


def key(name: str, version: int, *parts) -> str:
    """The one spelling of a cache key: kb:<name>:v<version>:<parts...>."""
    return ":".join(["kb", name, f"v{version}", *map(str, parts)])


# Ids are handed out when a row is written, not when its transaction commits: on
# PostgreSQL an entry can become visible below the newest id after a reader cached a
# page under that id. So the stamp also counts the entries among the newest
# STAMP_WINDOW ids, which such a late commit changes (entries are never deleted).
STAMP_WINDOW = 1000


def _stamp_sql() -> str:
    # Plain SQL through the cursor (Django's documented raw-SQL API): every page
    # asks this, and building it with the ORM cost more than the database takes.
    # The model by name: this module imports none of ours (models import it).
    audit_table = apps.get_model("manuals", "AuditEntry")._meta.db_table
    table = connection.ops.quote_name(audit_table)
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
