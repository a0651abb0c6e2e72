"""Fixtures of the people tests: a manager, English messages, CSV files."""

import pytest
from django.utils import translation

from tests.factories import make_admin, make_user


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the messages; they are written in English (the site's
    default is Chinese, whose catalogue says the same)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def manager(db):
    return make_user("manager", username="manager", email="manager@example.com")


@pytest.fixture
def admin(db):
    return make_admin("root")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


SITE = "http://testserver"
