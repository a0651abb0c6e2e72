"""Benchmark: this checkout against an earlier commit, served side by side.

Both are served by gunicorn (2 workers, production settings, analytics on) from the
same content (the demo manual grown to KB_BENCH_COMPARE_SECTIONS sections), and wrk
loads them in turns, A B A B, so the shared, noisy machine slows both alike; the table shows each one's median req/s and
p95 and the ratio. Run with

    KB_BENCH_BASELINE=<commit> make bench          # SQLite
    KB_BENCH_BASELINE=<commit> tests/pg_cluster.sh make bench   # and PostgreSQL

The baseline is unpacked with `git archive` into a temporary folder and runs in this
virtualenv (it must need no package this one lacks); each side builds its data with
its own code, in its own database. Skipped without KB_BENCH_BASELINE or wrk.
"""

import os
import re
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.test_serving_bench import LUA, SETUP, _serve, _wrk

ROOT = Path(__file__).resolve().parents[2]
BASELINE = os.environ.get("KB_BENCH_BASELINE", "")
# Compare a commit instead of the working tree (so the tree may change meanwhile).
CANDIDATE = os.environ.get("KB_BENCH_CANDIDATE", "")
SECTIONS = int(os.environ.get("KB_BENCH_COMPARE_SECTIONS", "5000"))
ROUNDS = int(os.environ.get("KB_BENCH_COMPARE_ROUNDS", "4"))
SECONDS = os.environ.get("KB_BENCH_COMPARE_SECONDS", "4")
PAGES = {
    "section": None,  # filled from SETUP
    "home": "/",
    "search": "/search/?q=%E9%80%80%E8%B4%A7",
}


def _env(data: Path, database_url: str | None, secret: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="kbsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret,
        DJANGO_SECURE_SSL="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        KB_DATA_DIR=str(data),
        PYTHONPATH="",
    )
    if database_url:
        env.update(DATABASE_URL=database_url, DJANGO_CONN_MAX_AGE="60")
    return env


def _manage(cwd: Path, env: dict, *args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _load(wrk: str, lua: Path, port: int, path: str, session: str, seconds: str):
    args = [
        wrk,
        "-t2",
        "-c8",
        f"-d{seconds}s",
        "-s",
        str(lua),
        "-H",
        f"Cookie: sessionid={session}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps, p50, p95, errors = re.search(r"RESULT (\S+) (\S+) (\S+) (\d+)", out).groups()
    return float(rps), float(p95), int(errors)


def _second_database(database_url: str, name: str) -> str:
    """A fresh database beside the one `database_url` names, for the baseline."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _db = database_url.rpartition("/")
    return f"{head}/{name}"


def _prepare(code: Path, env: dict) -> tuple[str, str]:
    """Data built by `code` itself (its own migrations, demo, tree and index), so
    each side reads what it wrote; the content is the same (deterministic)."""
    _manage(code, env, "migrate", "--noinput", "-v0")
    _manage(code, env, "load_demo")
    if SECTIONS > 81:
        grow = (
            "from tests.bench.test_pages_bench import _build_tree; "
            f"_build_tree({SECTIONS - 81})"
        )
        _manage(code, env, "shell", "-c", grow)
    _manage(code, env, "search_index", "--rebuild")
    _manage(code, env, "collectstatic", "--noinput", "-v0")
    out = _manage(code, env, "shell", "-c", SETUP)
    return (
        re.search(r"SESSION (\S+)", out).group(1),
        re.search(r"SECTION (\S+)", out).group(1),
    )


def _unpack(rev: str, folder: Path) -> Path:
    folder.mkdir()
    archive = subprocess.run(
        ["git", "archive", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _compare(database_url, tmp: Path, wrk: str, baseline: Path, this: Path):
    secret = secrets.token_urlsafe(50)
    sides = {}
    for name, code in (("baseline", baseline), ("this", this)):
        data = tmp / f"{name}-data"
        data.mkdir()
        url = database_url
        if database_url and name == "baseline":
            url = _second_database(database_url, "kb_bench_baseline")
        env = _env(data, url, secret)
        session, section = _prepare(code, env)
        sides[name] = (code, env, session, section)
    lua = tmp / "report.lua"
    lua.write_text(LUA)
    servers = {name: _serve(code, env) for name, (code, env, _s, _p) in sides.items()}
    try:
        rows = []
        for label, fixed in PAGES.items():
            results = {"baseline": [], "this": []}

            def load(name, seconds, fixed=fixed):
                _code, _env, session, section = sides[name]
                path = fixed or section
                return _load(wrk, lua, servers[name][1], path, session, seconds)

            for name in servers:  # warm both
                load(name, "2")
            for _round in range(ROUNDS):
                for name in servers:  # A B A B
                    rps, p95, errors = load(name, SECONDS)
                    assert errors == 0, (name, label, errors)
                    results[name].append((rps, p95))
            a = statistics.median(r for r, _ in results["baseline"])
            b = statistics.median(r for r, _ in results["this"])
            a95 = statistics.median(p for _, p in results["baseline"])
            b95 = statistics.median(p for _, p in results["this"])
            rows.append((label, a, b, b / a, a95, b95))
        return rows
    finally:
        for server, _port in servers.values():
            server.terminate()
            server.wait(timeout=10)


def test_serving_against_baseline(tmp_path):
    if not BASELINE:
        pytest.skip("set KB_BENCH_BASELINE=<commit> to compare against it")
    wrk = _wrk()
    if not wrk:
        pytest.skip("wrk is not installed (apt-get install wrk)")
    baseline = _unpack(BASELINE, tmp_path / "baseline")
    this = _unpack(CANDIDATE, tmp_path / "candidate") if CANDIDATE else ROOT
    rev = [
        subprocess.run(
            ["git", "rev-parse", "--short", name],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for name in (BASELINE, CANDIDATE or "HEAD")
    ]
    databases = {"sqlite": None}
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        databases["postgresql"] = url
    print(
        f"\n{SECTIONS} sections; baseline {rev[0]} vs "
        f"{rev[1] if CANDIDATE else 'this checkout (' + rev[1] + ' + changes)'}; gunicorn 2 workers each, wrk 2x8, {ROUNDS} rounds of {SECONDS}s "
        "per page, interleaved; medians"
    )
    print(
        f"{'database':<11} {'page':<8} {'base r/s':>9} {'this r/s':>9} {'ratio':>6} "
        f"{'base p95':>9} {'this p95':>9}"
    )
    for name, database_url in databases.items():
        folder = tmp_path / name
        folder.mkdir()
        for label, a, b, ratio, a95, b95 in _compare(
            database_url, folder, wrk, baseline, this
        ):
            print(
                f"{name:<11} {label:<8} {a:>9.1f} {b:>9.1f} {ratio:>6.2f} "
                f"{a95:>9.2f} {b95:>9.2f}"
            )
