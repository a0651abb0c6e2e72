"""Benchmark: pages served by gunicorn (2 workers, production settings, analytics on)
under wrk on loopback, on SQLite and, when DATABASE_URL names one, PostgreSQL.

Run with `make bench` (or `tests/pg_cluster.sh make bench` for both databases). Prints
requests/s and p50/p95 latency for a section page, the home page and a search page.
Needs Debian's wrk (installed as root when missing); skips with a message otherwise.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DURATION = os.environ.get("KB_BENCH_SERVE_SECONDS", "8")
SECTIONS = int(os.environ.get("KB_BENCH_SERVE_SECTIONS", "50000"))
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.2f %.2f %d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""
SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from manuals.models import Section
user, _ = get_user_model().objects.get_or_create(username="bench-agent")
user.groups.add(Group.objects.get(name="agent"))
client = Client()
client.force_login(user)  # a session as logging in makes it
section = Section.objects.filter(depth=3, kind="sop").order_by("path").first()
print("COUNT", Section.objects.count())
print("SESSION", client.cookies["sessionid"].value)
print("SECTION", section.get_absolute_url())
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wrk() -> str | None:
    if not shutil.which("wrk") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True
        )
    return shutil.which("wrk")


def _serve(cwd: Path, env: dict) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kbsite.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError(f"gunicorn in {cwd} did not start")


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _measure(database_url: str | None, tmp: Path, wrk: str) -> list[tuple]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="kbsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_SSL="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        KB_DATA_DIR=str(tmp),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
        env["DJANGO_CONN_MAX_AGE"] = "60"
    _run(["manage.py", "migrate", "--noinput", "-v0"], env)
    _run(["manage.py", "load_demo"], env)
    # Grow the tree to SECTIONS with generated manuals beside the demo.
    grow = (
        "from tests.bench.test_pages_bench import _build_tree; "
        f"_build_tree({max(SECTIONS - 81, 0)})"
    )
    if SECTIONS > 81:
        _run(["manage.py", "shell", "-c", grow], env)
    _run(["manage.py", "search_index", "--rebuild"], env)
    _run(["manage.py", "collectstatic", "--noinput", "-v0"], env)
    out = _run(["manage.py", "shell", "-c", SETUP], env).stdout
    session = re.search(r"SESSION (\S+)", out).group(1)
    section = re.search(r"SECTION (\S+)", out).group(1)
    server, port = _serve(ROOT, env)
    try:
        lua = tmp / "report.lua"
        lua.write_text(LUA)
        rows = []
        pages = {
            "section page": section,
            "home page": "/",
            "search page": "/search/?q=%E9%80%80%E8%B4%A7",
        }
        for label, path in pages.items():
            url = f"http://127.0.0.1:{port}{path}"
            args = [
                wrk,
                "-t2",
                "-c8",
                f"-d{DURATION}s",
                "-s",
                str(lua),
                "-H",
                f"Cookie: sessionid={session}",
                url,
            ]
            subprocess.run([*args[:3], "-d2s", *args[4:]], capture_output=True)  # warm
            result = subprocess.run(args, capture_output=True, text=True, check=True)
            rps, p50, p95, errors = re.search(
                r"RESULT (\S+) (\S+) (\S+) (\d+)", result.stdout
            ).groups()
            rows.append((label, float(rps), float(p50), float(p95), int(errors)))
        return rows
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pages_under_load(tmp_path):
    wrk = _wrk()
    if not wrk:
        pytest.skip("wrk is not installed (apt-get install wrk)")
    databases = {"sqlite": None}
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        databases["postgresql"] = url
    print(
        f"\n{SECTIONS} sections; gunicorn 2 workers, wrk 2 threads x 8 connections, "
        f"{DURATION}s per page"
    )
    print(
        f"{'database':<11} {'page':<13} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'errors':>7}"
    )
    for name, database_url in databases.items():
        folder = tmp_path / name
        folder.mkdir()
        for label, rps, p50, p95, errors in _measure(database_url, folder, wrk):
            print(
                f"{name:<11} {label:<13} {rps:>8.1f} {p50:>8.2f} {p95:>8.2f} "
                f"{errors:>7}"
            )
            assert errors == 0
