"""The security suite's fixtures: one world for the package (per xdist worker), built
once inside a transaction that is rolled back when the package's last test is done,
and a client per role.

Each test still runs in its own savepoint (the `db` fixture), so whatever a request
writes (page views, a POST that should have been refused) is undone after it.
"""

import shutil
import tempfile

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings

from manuals.search import reset_search_backend
from manuals.search.outbox import apply_all

from .checks import client_for
from .world import ROLES, build_world, compute_allowed


def _search_settings(folder: str) -> dict:
    if connection.vendor == "postgresql" and "postgres" in str(
        settings.KB_SEARCH_BACKEND
    ):
        return settings.KB_SEARCH_BACKEND
    return {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": folder, "LOCK_TIMEOUT": 5},
    }


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker):
    """Every kind of non-public content with its canaries, and the role users."""
    folder = tempfile.mkdtemp(prefix="kb-security-index-")
    search = override_settings(KB_SEARCH_BACKEND=_search_settings(folder))
    search.enable()
    reset_search_backend()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = build_world()
            apply_all()  # tests run inside a transaction: no on-commit indexing
            compute_allowed(w)
            for role in ROLES:
                user = w.users[role]
                if user is not None:
                    client = Client()
                    client.force_login(user)
                    w.sessions[role] = client.cookies[
                        settings.SESSION_COOKIE_NAME
                    ].value
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            reset_search_backend()
            search.disable()
            shutil.rmtree(folder, ignore_errors=True)
            for path in getattr(locals().get("w"), "media_files", []):
                shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture
def clients(world, db):
    """role -> a fresh test client logged in as that role (no CSRF checks)."""
    return {role: client_for(world, role) for role in ROLES}
