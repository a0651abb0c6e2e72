"""Search fixtures: the backend under test, a clean index per test, the outbox on demand.

Every test here runs once per search backend (whoosh always; PostgreSQL when the test
database is PostgreSQL, e.g. under tests/pg_cluster.sh, and skipped otherwise). A
module or class narrows that with `SEARCH_BACKENDS = ("whoosh",)`; the shared
contract class in test_backend.py is subclassed once per backend that way.
"""

import pytest
from django.db import connection

from manuals.search import get_search_backend, reset_search_backend
from manuals.search.outbox import apply_all

ALL_BACKENDS = ("whoosh", "postgres")
NO_POSTGRES = (
    "the PostgreSQL search backend needs a PostgreSQL test database: run "
    "`tests/pg_cluster.sh .venv/bin/pytest tests/manuals/search` (or make test-postgres)"
)


def pytest_generate_tests(metafunc):
    if "search_backend_name" not in metafunc.fixturenames:
        return
    names = getattr(metafunc.cls, "SEARCH_BACKENDS", None) or getattr(
        metafunc.module, "SEARCH_BACKENDS", ALL_BACKENDS
    )
    metafunc.parametrize("search_backend_name", names, indirect=True)


def backend_settings(name: str, tmp_path) -> dict:
    """The KB_SEARCH_BACKEND setting a test runs with, by short backend name."""
    if name == "postgres":
        return {"BACKEND": "postgres", "OPTIONS": {"LOCK_TIMEOUT": 5}}
    return {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index"), "LOCK_TIMEOUT": 5},
    }


@pytest.fixture
def search_backend_name(request):
    """'whoosh' or 'postgres' (parametrized by pytest_generate_tests)."""
    name = getattr(request, "param", "whoosh")
    if name == "postgres" and connection.vendor != "postgresql":
        pytest.skip(NO_POSTGRES)
    return name


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path, search_backend_name):
    """Each test gets its own empty index and a fresh per-process backend (the
    PostgreSQL backend's tables live in the test transaction, rolled back after)."""
    settings.KB_SEARCH_BACKEND = backend_settings(search_backend_name, tmp_path)
    reset_search_backend()
    yield get_search_backend()
    reset_search_backend()


@pytest.fixture
def index_now(db):
    """Apply the outbox as the after-commit hook would (tests run inside a transaction)."""

    def run():
        return apply_all()

    return run
