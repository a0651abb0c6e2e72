"""FAQ fixtures: a clean search index per test, and applying the outbox on demand."""

import pytest

from manuals.search import get_search_backend, reset_search_backend
from manuals.search.outbox import apply_all


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index"), "LOCK_TIMEOUT": 5},
    }
    reset_search_backend()
    yield get_search_backend()
    reset_search_backend()


@pytest.fixture
def index_now(db):
    return apply_all
