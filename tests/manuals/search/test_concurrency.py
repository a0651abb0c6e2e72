"""Real processes saving at once, per backend: no save fails and no index update is
lost, whether each web process indexes after its own commits (inline) or one
`search_worker` applies the outbox for all of them."""

import json
import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[3]
HELPER = Path(__file__).with_name("concurrent_writer.py")
PER_PROCESS = 12
BACKEND_PATHS = {
    "whoosh": "manuals.search.backends.whoosh.WhooshSearchBackend",
    "postgres": "postgres",
}
BACKEND_CLASSES = {"whoosh": "WhooshSearchBackend", "postgres": "PostgresSearchBackend"}


@contextmanager
def _database_url():
    """A DATABASE_URL for the processes: a fresh PostgreSQL database on the test
    server (dropped afterwards) when the tests run on PostgreSQL; None for SQLite,
    where each test's data folder holds its own database file."""
    if connection.vendor != "postgresql":
        yield None
        return
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    name = f"kb_procs_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    s = connection.settings_dict
    try:
        yield f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{name}"
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture
def process_env(tmp_path, search_backend_name):
    """Environment for helper processes: their own database and data folder."""
    env = dict(os.environ)
    env.update(
        KB_DATA_DIR=str(tmp_path / "data"),
        KB_SEARCH_PATH=str(tmp_path / "data" / "search"),
        KB_SEARCH_BACKEND=BACKEND_PATHS[search_backend_name],
        DJANGO_SETTINGS_MODULE="kbsite.test_settings",
        KB_SEARCH_INLINE="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DATABASE_URL", None)
    with _database_url() as url:
        if url:
            env["DATABASE_URL"] = url
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=180,
        )
        yield env


def _helper(env, *args, timeout=120) -> dict:
    out = subprocess.run(
        [sys.executable, str(HELPER), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _run_writers(env, names=("alpha", "beta")) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, str(HELPER), "write", name, str(PER_PROCESS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    for proc in writers:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == {"saved": PER_PROCESS}
        assert "Traceback" not in err


@pytest.mark.django_db(transaction=False)
def test_two_processes_save_concurrently(process_env, search_backend_name):
    """Both processes' saves succeed; afterwards the index matches the database."""
    _run_writers(process_env)
    result = _helper(process_env, "check")
    assert result["backend"] == BACKEND_CLASSES[search_backend_name]
    assert result["ok"], result
    assert result["found"] == 2 * PER_PROCESS


@pytest.mark.django_db(transaction=False)
def test_web_processes_and_one_worker_lose_nothing(process_env, search_backend_name):
    """Three web processes (KB_SEARCH_INLINE=0) save while `search_worker` runs:
    the worker alone indexes everything, and nothing is left in the outbox."""
    env = dict(process_env, KB_SEARCH_INLINE="0")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "search_worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _run_writers(env, names=("alpha", "beta", "gamma"))
        assert _helper(env, "wait")["pending"] == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "Traceback" not in err
    assert "Applied" in out
    result = _helper(env, "check", "--no-apply")
    assert result["backend"] == BACKEND_CLASSES[search_backend_name]
    assert result["leftover"] == 0
    assert result["ok"], result
    assert result["found"] == 3 * PER_PROCESS
