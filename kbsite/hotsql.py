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
        self._converters: dict = {}
        self._compilers: dict = {}
        self._instances: dict = {}

    def _markers(self) -> dict:
        return {
            name: _MARKER_BASE - i if kind is int else f"\x00hot-marker-{i}"
            for i, (name, kind) in enumerate(self.types.items())
        }

    def _compile(self, using: str):
        key = self._key(using)
        if key not in self._compiled:
            markers = self._markers()
            queryset = self.build(**markers)
            compiler = queryset.query.get_compiler(using)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # e.g. a marker the field refuses
                self._compiled[key] = None
                return None
            params = list(params)
            # What ModelIterable does with the rows of this SQL, worked out once.
            self._converters[key] = compiler.get_converters(
                [column[0] for column in compiler.select]
            )
            self._compilers[key] = compiler
            if compiler.klass_info and not queryset.query.select_related:
                fields = compiler.klass_info["select_fields"]
                self._instances[key] = (
                    compiler.klass_info["model"],
                    fields[0],
                    fields[-1] + 1,
                    [
                        c[0].target.attname
                        for c in compiler.select[fields[0] : fields[-1] + 1]
                    ],
                    dict(compiler.annotation_col_map or {}),
                )
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

    def _key(self, using: str) -> str:
        return f"{using}:{connections[using].vendor}"

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

    def _fetch(self, using: str, found) -> list[tuple]:
        with connections[using].cursor() as cursor:
            cursor.execute(*found)
            rows = cursor.fetchall()
        key = self._key(using)
        converters = self._converters[key]
        if converters and rows:
            rows = [
                tuple(row)
                for row in self._compilers[key].apply_converters(rows, converters)
            ]
        return rows

    def rows(self, using: str = "default", **values) -> list[tuple]:
        """The rows, as the ORM's values_list() would give them."""
        found = self.sql(using, **values)
        if found is None:
            return list(self.build(**values).using(using))
        return self._fetch(using, found)

    def objects(self, using: str = "default", **values) -> list:
        """Model instances with annotations, as the ORM would give them."""
        found = self.sql(using, **values)
        instances = self._instances.get(self._key(using))
        if found is None or instances is None:
            return list(self.build(**values).using(using))
        model, start, end, attnames, annotations = instances
        objects = []
        for row in self._fetch(using, found):
            obj = model.from_db(using, attnames, row[start:end])
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
