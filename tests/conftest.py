"""Shared fixtures: role users, a small manual tree, logged-in clients; data built
once per module; and which tests the PostgreSQL run of `make test` leaves out."""

import os
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, models, transaction

from manuals.models import Kind, Visibility
from tests.factories import make_admin, make_section, make_user

# --- the PostgreSQL run: only what the database can change ---------------------------
#
# `make test` runs the whole suite on SQLite, then again on PostgreSQL with
# KB_TEST_DATABASE_ONLY=1 (`make test-postgres` alone runs everything). That second run
# leaves out what cannot come out differently there, because it never touches the
# suite's database:
# - the browser tests (tests/e2e): they drive the interface, whose behaviour the
#   database does not change; the queries behind each page run on PostgreSQL in the
#   view, permission, search and security tests;
# - tests marked `database_independent`: pure code, or subprocesses with a database
#   of their own (production settings on a fresh SQLite file, the SQLite half of the
#   concurrency test). The marker is checked: in the SQLite run such a test fails if
#   it runs a query on the suite's database (pytest_runtest_call below).
# Every test that runs queries, transactions, locking, a search backend or the
# migrations on the suite's database stays in the PostgreSQL run.

DATABASE_ONLY = os.environ.get("KB_TEST_DATABASE_ONLY") == "1"
E2E_DIR = Path(__file__).parent / "e2e"
LEFT_OUT = (
    "KB_TEST_DATABASE_ONLY=1 (the PostgreSQL run of make test): this test never "
    "touches the suite's database, and the SQLite run ran it"
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "database_independent: never touches the suite's database, so the "
        "PostgreSQL run of `make test` leaves it out (see tests/conftest.py)",
    )


def _is_browser_test(item) -> bool:
    return item.path.is_relative_to(E2E_DIR) or item.get_closest_marker("e2e")


def pytest_collection_modifyitems(config, items):
    _check_module_data(items)
    if not DATABASE_ONLY:
        return
    skip = pytest.mark.skip(reason=LEFT_OUT)
    for item in items:
        if _is_browser_test(item) or item.get_closest_marker("database_independent"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, config):
    if DATABASE_ONLY:
        terminalreporter.write_line(
            "KB_TEST_DATABASE_ONLY=1: the browser tests and the tests marked "
            "database_independent were skipped here; the SQLite run ran them."
        )


def _refuse_queries(execute, sql, params, many, context):
    raise AssertionError(
        "a test marked database_independent ran a query on the suite's database "
        f"(the PostgreSQL run of make test leaves it out): {sql[:200]}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Holds a `database_independent` test to its word (see the top of this file):
    no query on the suite's database while it runs (its fixtures may set up a
    savepoint; a subprocess with a database of its own is not seen here)."""
    if item.get_closest_marker("database_independent") is None:
        return (yield)
    with connection.execute_wrapper(_refuse_queries):
        return (yield)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


# --- data built once per module ------------------------------------------------------


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and any(
        marker.kwargs.get(name) for name in ("transaction", "reset_sequences")
    ):
        return True
    if marker is not None and marker.args and marker.args[0]:
        return True
    return bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"}
        & set(getattr(item, "fixturenames", ()))
    )


def _reread(value):
    """`value` with every model instance in it read again from the database (one
    query per model); dicts, lists and tuples are rebuilt, other values kept."""
    wanted = defaultdict(set)

    def collect(v):
        if isinstance(v, models.Model):
            wanted[type(v)].add(v.pk)
        elif isinstance(v, dict):
            for x in v.values():
                collect(x)
        elif isinstance(v, list | tuple):
            for x in v:
                collect(x)

    collect(value)
    rows = {model: model._base_manager.in_bulk(pks) for model, pks in wanted.items()}

    def rebuild(v):
        if isinstance(v, models.Model):
            return rows[type(v)][v.pk]
        if isinstance(v, dict):
            return {k: rebuild(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rebuild(x) for x in v]
        if isinstance(v, tuple):
            return tuple(rebuild(x) for x in v)
        return v

    return rebuild(value)


def _check_module_data(items):
    """Every test of a module that uses a module_* data fixture uses it (see
    module_data)."""
    by_module = defaultdict(list)
    for item in items:
        by_module[item.path].append(item)
    for path, module_items in by_module.items():
        used = {
            name
            for item in module_items
            for name in getattr(item, "fixturenames", ())
            if name.startswith("module_") and name != "module_data"
        }
        for name in sorted(used):
            missing = [
                item.nodeid
                for item in module_items
                if name not in getattr(item, "fixturenames", ())
            ]
            if missing:
                raise pytest.UsageError(
                    f"{name} is used by some tests of {path} but not by "
                    f"{missing[0]}: data built once per module is there for all its "
                    f'tests, so say it for all: pytestmark = pytest.mark.usefixtures("{name}")'
                )


class Shared:
    """Data built once for a module. `get()` hands each test its own instances, read
    again from the database, so no test sees what another changed in memory (what
    it changed in the database is rolled back with its savepoint)."""

    def __init__(self, value):
        self.value = value

    def get(self):
        return _reread(self.value)


@pytest.fixture(scope="module")
def module_data(request, django_db_setup, django_db_blocker):
    """Build data once for the tests of a module (once per xdist worker that runs
    some of them), inside a transaction rolled back after the module's last test.
    Each test still runs in its own savepoint (the `db` fixture), so whatever it
    writes is undone before the next one.

        @pytest.fixture(scope="module")
        def module_world(module_data):
            return module_data(build_world)   # build_world() makes its own users

        @pytest.fixture
        def world(module_world, db):
            return module_world.get()

        pytestmark = pytest.mark.usefixtures("module_world")

    The builder returns model instances in dicts, lists or tuples (and plain values).
    Such a fixture is named module_*, and every test of the module uses it (checked
    at collection): the data is in the database for all of them alike, whatever
    order they run in. A module with transactional tests cannot share data this way
    (they would run inside the module's transaction).
    """
    transactional = [
        item.nodeid
        for item in request.session.items
        if item.path == request.path and _transactional(item)
    ]
    if transactional:
        pytest.fail(
            f"module_data in a module with transactional tests: {transactional[0]}"
        )
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()

    def share(build, *args, **kwargs) -> Shared:
        with django_db_blocker.unblock():
            return Shared(build(*args, **kwargs))

    try:
        yield share
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- users and the small manual ------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return make_admin()


@pytest.fixture
def agent(db):
    return make_user("agent", username="agent")


@pytest.fixture
def editor(db):
    """An editor who may not publish."""
    return make_user("editor", username="editor")


@pytest.fixture
def publisher(db):
    """An editor with publish rights (the usual editor set-up)."""
    return make_user("editor", "publisher", username="publisher")


def build_tree(admin_user):
    """A manual with chapters and sections of mixed visibility.

    manual (internal)
      chapter A (internal)
        refund policy (internal)   body mentions INTERNAL-CANARY
        returns sop (internal)
      chapter B (internal)
        scripts (internal)
    help (public)
      public faq (public)
    """
    manual = make_section(title="客服手册", kind=Kind.MANUAL, user=admin_user)
    a = make_section(manual, title="第一章 政策", kind=Kind.CHAPTER, user=admin_user)
    refund = make_section(
        a,
        title="退款政策",
        kind=Kind.POLICY,
        user=admin_user,
        body="## 规则\n\n退款 7 天内处理。INTERNAL-CANARY",
    )
    sop = make_section(
        a,
        title="退货流程",
        kind=Kind.SOP,
        user=admin_user,
        body="1. 核实订单\n2. 生成退货单",
    )
    b = make_section(manual, title="第二章 话术", kind=Kind.CHAPTER, user=admin_user)
    scripts = make_section(b, title="愤怒客户话术", kind=Kind.SCENARIO, user=admin_user)
    help_root = make_section(
        title="帮助中心",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    public_faq = make_section(
        help_root,
        title="常见问题",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="公开的回答 PUBLIC-TEXT",
    )
    return {
        "manual": manual,
        "a": a,
        "refund": refund,
        "sop": sop,
        "b": b,
        "scripts": scripts,
        "help": help_root,
        "public_faq": public_faq,
    }


@pytest.fixture
def tree(request, db, admin_user):
    """The small manual (see build_tree): in a module that uses module_tree, the
    module's, read again for this test; otherwise built for this test, in one
    transaction (a transactional test, as in tests/e2e, indexes it once)."""
    if "module_tree" in request.fixturenames:
        return request.getfixturevalue("module_tree").get()
    with transaction.atomic():
        return build_tree(admin_user)


@pytest.fixture(scope="module")
def module_tree(module_data):
    """The small manual built once for a module that says so for all its tests:

        pytestmark = pytest.mark.usefixtures("module_tree")

    Its tests get it through `tree` as usual, each with its own instances."""
    return module_data(lambda: build_tree(make_admin()))


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
