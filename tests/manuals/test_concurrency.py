"""Ten editors in ten real processes save five shared sections from stale bases at
once, on SQLite (and on PostgreSQL when the suite runs there): no text is lost, no
"database is locked" reaches anyone, and the tree is sound afterwards."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EDITORS = 10
SECONDS = 6
# Saves each editor makes at least, however slow a loaded machine is (up to a
# minute): enough for merges and conflicts to happen.
AT_LEAST = 6


def _run(args, env, timeout=120):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
        check=True,
    )


def _postgres_database(tmp_path):
    """A fresh database in the PostgreSQL server the suite runs on (or skip)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the suite runs on SQLite (make test-postgres runs this too)")
    import psycopg

    name = f"kb_concurrency_{tmp_path.name[-8:].lower().replace('-', '_')}"
    base, _sep, _db = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # noqa: S608 - our own name
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.mark.xdist_group("concurrency")
@pytest.mark.parametrize(
    "engine",
    [
        # Its own SQLite file whatever the suite runs on: the PostgreSQL run of make
        # test leaves this half out.
        pytest.param("sqlite", marks=pytest.mark.database_independent),
        "postgresql",
    ],
)
def test_parallel_editors_lose_nothing(tmp_path, engine):
    database_url = (
        f"sqlite:///{tmp_path / 'kb.sqlite3'}"
        if engine == "sqlite"
        else _postgres_database(tmp_path)
    )
    env = {
        **os.environ,
        "KB_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kbsite.test_settings",
        "DATABASE_URL": database_url,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _run(["manage.py", "migrate", "--noinput", "-v0"], env)
    _run(["-m", "tests.manuals.concurrency_worker", "setup", str(EDITORS)], env)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.manuals.concurrency_worker",
                "run",
                str(n),
                str(SECONDS),
                str(tmp_path / f"w{n}.json"),
                str(AT_LEAST),
            ],
            cwd=ROOT,
            env=env,
        )
        for n in range(EDITORS)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    logs = [json.loads((tmp_path / f"w{n}.json").read_text()) for n in range(EDITORS)]
    errors = [e for log in logs for e in log["errors"]]
    assert errors == [], errors[:5]

    state = json.loads(
        _run(["-m", "tests.manuals.concurrency_worker", "state"], env).stdout
    )
    submitted = [s for log in logs for s in log["submitted"]]
    counts = {"saved": 0, "merged": 0, "conflict": 0}
    lost = []
    for token, section_id, status in submitted:
        counts[status] = counts.get(status, 0) + 1
        where = state["drafts" if status == "conflict" else "bodies"].get(
            str(section_id), []
        )
        if not any(f" {token}\n" in text for text in where):
            lost.append((token, status))
    print(f"\n{len(submitted)} saves by {EDITORS} processes in {SECONDS}s: {counts}")
    assert len(submitted) >= EDITORS * AT_LEAST
    assert counts["merged"] > 0 and counts["conflict"] > 0
    assert lost == []
    children = [pk for log in logs for pk in log["children"]]
    assert set(children) <= set(state["sections"])
    assert state["problems"] == [0, 0, 0, 0, 0]
