"""The few queries every page runs, compiled to SQL once per process.

Building SQL from a QuerySet costs more Python time than PostgreSQL takes to answer
these small indexed queries, and every page runs them (the user, their permissions,
the change stamp). The ORM still writes the SQL, so it stays right for SQLite and
PostgreSQL; this keeps the text and runs it again with new values. Values that vary
are given as markers (integers or strings no real row has) and found in the compiled
parameters; if a marker does not come out as a parameter, the query is not kept and
the ORM runs it every time.
"""

from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Integers no id can be, yet inside the range of a 32-bit integer column (Django
# turns a lookup with an out-of-range value into an empty result, not a parameter).
_MARKER_BASE = -(2**31) + 977


class HotQuery:
    """HotQuery(build, user_id=int): `build(user_id=...)` returns the QuerySet."""

    def __init__(self, build: Callable[..., QuerySet], **types: type):
        self.build = build
        self.types = types
        self._compiled: dict[str, tuple[str, list, dict[str, list]] | None] = {}

    def _markers(self) -> dict:
        return {
            name: _MARKER_BASE - i if kind is int else f"\x00hot-marker-{i}"
            for i, (name, kind) in enumerate(self.types.items())
        }

    def _compile(self, using: str):
        key = f"{using}:{connections[using].vendor}"
        if key not in self._compiled:
            markers = self._markers()
            query = self.build(**markers).query
            try:
                sql, params = query.get_compiler(using).as_sql()
            except EmptyResultSet:  # e.g. a marker the field refuses
                self._compiled[key] = None
                return None
            params = list(params)
            positions = {
                name: [i for i, p in enumerate(params) if p == marker]
                for name, marker in markers.items()
            }
            kept = all(positions.values())
            self._compiled[key] = (sql, params, positions) if kept else None
        return self._compiled[key]

    def kept(self, using: str = "default") -> bool:
        """Is the SQL kept (else the ORM builds it each time)?"""
        return self._compile(using) is not None

    def queryset(self, **values) -> QuerySet:
        return self.build(**values)

    def sql(self, using: str = "default", **values) -> tuple[str, list] | None:
        """The SQL and parameters for `values`, or None when not kept."""
        compiled = self._compile(using)
        if compiled is None:
            return None
        sql, params, positions = compiled
        params = list(params)
        for name, found in positions.items():
            for index in found:
                params[index] = values[name]
        return sql, params

    def rows(self, using: str = "default", **values) -> list[tuple]:
        """Raw rows (no model field converters: use for ints and strings)."""
        found = self.sql(using, **values)
        if found is None:
            return list(self.build(**values).using(using))
        with connections[using].cursor() as cursor:
            cursor.execute(*found)
            return cursor.fetchall()

    def objects(self, using: str = "default", **values) -> list:
        """Model instances, with annotations as attributes (through raw())."""
        queryset = self.build(**values)
        found = self.sql(using, **values)
        if found is None:
            return list(queryset.using(using))
        return list(queryset.model._default_manager.db_manager(using).raw(*found))
