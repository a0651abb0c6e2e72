"""The backend loader: dotted paths, short aliases, and a clear error for a backend
the database cannot serve."""

import pytest
from django.db import connection

from manuals.search import InvalidSearchBackendError, load_backend
from manuals.search.backends.whoosh import WhooshSearchBackend

SEARCH_BACKENDS = ("whoosh",)  # loads backends itself


def test_whoosh_alias(tmp_path):
    backend = load_backend({"BACKEND": "whoosh", "OPTIONS": {"PATH": str(tmp_path)}})
    assert isinstance(backend, WhooshSearchBackend)


@pytest.mark.django_db
def test_postgres_alias():
    """KB_SEARCH_BACKEND=postgres loads the PostgreSQL backend on PostgreSQL and
    refuses, saying why, on any other database."""
    if connection.vendor == "postgresql":
        from manuals.search.backends.postgres import PostgresSearchBackend

        assert isinstance(load_backend({"BACKEND": "postgres"}), PostgresSearchBackend)
    else:
        with pytest.raises(InvalidSearchBackendError, match="PostgreSQL database"):
            load_backend({"BACKEND": "postgres"})


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(InvalidSearchBackendError, match="Could not find"):
        load_backend({"BACKEND": "elastic"})
