"""Fixtures for feedback tests: a manager, a clean event buffer, event helpers."""

import pytest

from feedback import events
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _empty_buffer():
    """Events buffered by an earlier test must not leak into this one."""
    events.buffer._items.clear()
    yield
    events.buffer._items.clear()


@pytest.fixture
def manager(db):
    return make_user("manager", username="manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
