"""Production settings: the deploy check passes, a missing secret key stops start-up,
and SQLite runs in WAL mode with IMMEDIATE transactions."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Every test here runs manage.py or gunicorn with production settings on a fresh SQLite
# file of its own (production_env drops DATABASE_URL): the PostgreSQL run of make
# test leaves them out.
pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **extra):
    """A clean environment: nothing from the test settings leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KB_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kbsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="kb.example.com",
        KB_DATA_DIR=str(tmp_path),
    )
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_passes(tmp_path):
    """`manage.py check --deploy --fail-level WARNING` passes with production env
    once static files are collected."""
    env = production_env(tmp_path)
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    collected = run(["manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0, collected.stderr
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output
    assert "System check identified no issues" in output


NOT_COLLECTED = "Static files are not collected: run `manage.py collectstatic`."


def test_check_says_when_static_files_are_not_collected(tmp_path):
    """Without collectstatic the checks (check, check --deploy, runserver, migrate)
    say so, naming the manifest they looked for; `make check-deploy` fails."""
    env = production_env(tmp_path)
    manifest = tmp_path / "staticfiles" / "staticfiles.json"
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "kbsite.W001" in output
    assert NOT_COLLECTED in output
    assert str(manifest) in output
    # collectstatic itself does not complain about what it is about to do.
    collected = run(["manage.py", "collectstatic", "--noinput", "-v0"], env)
    assert collected.returncode == 0
    assert NOT_COLLECTED not in collected.stdout + collected.stderr
    assert manifest.exists()


def test_web_server_start_says_when_static_files_are_not_collected(tmp_path):
    """gunicorn runs no checks: importing the WSGI application logs the same
    message; once collected it logs nothing."""
    env = production_env(tmp_path)
    result = run(["-c", "import kbsite.wsgi"], env)
    assert result.returncode == 0, result.stderr
    assert NOT_COLLECTED in result.stderr
    assert run(["manage.py", "collectstatic", "--noinput", "-v0"], env).returncode == 0
    result = run(["-c", "import kbsite.wsgi"], env)
    assert result.returncode == 0, result.stderr
    assert NOT_COLLECTED not in result.stderr


STATIC_PROBE = """
import django
django.setup()
from django.templatetags.static import static
for _ in range(3):
    print(static("manuals/css/kb.css"))
"""


def test_a_file_missing_from_the_manifest_is_linked_unhashed(tmp_path):
    """Readers never get a 500 for a missing manifest entry: the link is left
    unhashed and the problem logged once per file, not on every page."""
    env = production_env(tmp_path)
    result = run(["-c", STATIC_PROBE], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/static/manuals/css/kb.css"] * 3
    assert result.stderr.count("Missing staticfiles manifest entry") == 1
    assert "collectstatic" in result.stderr
    assert run(["manage.py", "collectstatic", "--noinput", "-v0"], env).returncode == 0
    result = run(["-c", STATIC_PROBE], env)
    hashed = result.stdout.split()[0]
    assert hashed.startswith("/static/manuals/css/kb.") and hashed != (
        "/static/manuals/css/kb.css"
    )
    assert result.stderr == ""


def test_missing_secret_key_refuses_to_start(tmp_path):
    """Without DJANGO_SECRET_KEY in production, importing settings fails clearly."""
    env = production_env(tmp_path, DJANGO_SECRET_KEY=None)
    result = run(["-c", "import kbsite.settings"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_without_secret_key_starts(tmp_path):
    """Development (DJANGO_DEBUG=1) starts without a secret key."""
    env = production_env(tmp_path, DJANGO_SECRET_KEY=None, DJANGO_DEBUG="1")
    result = run(["-c", "import kbsite.settings as s; print(s.DEBUG)"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


PROBE = """
import json, sqlite3
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()[0]
path = str(settings.DATABASES["default"]["NAME"])
with transaction.atomic():
    connection.cursor().execute("SELECT 1")
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        second_writer = "got the lock"
        other.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        second_writer = str(exc)
    other.close()
print(json.dumps({"mode": mode, "second_writer": second_writer, "path": path,
                  "options": settings.DATABASES["default"]["OPTIONS"]}))
"""


def test_sqlite_wal_and_immediate_transactions(tmp_path):
    """The production SQLite database is in WAL mode, and a transaction takes the
    write lock as soon as it starts (IMMEDIATE), so a second writer must wait."""
    result = run(["-c", PROBE], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["mode"] == "wal"
    assert "locked" in probe["second_writer"]
    assert probe["path"].startswith(str(tmp_path))
    assert probe["options"]["transaction_mode"] == "IMMEDIATE"
    assert probe["options"]["timeout"] >= 5


WORKER = """
import sys, django
django.setup()
from django.contrib.sessions.backends.base import SessionBase
from django.conf import settings
from importlib import import_module
Store = import_module(settings.SESSION_ENGINE).SessionStore
for line in sys.stdin:
    cmd, _, key = line.strip().partition(" ")
    if cmd == "create":
        s = Store(); s["pending_import"] = "upload-1"; s.create(); print(s.session_key)
    elif cmd == "read":
        print(Store(key).load().get("pending_import", "-"))
    elif cmd == "end":
        Store(key).delete(); print("ended")
    sys.stdout.flush()
"""


def test_a_session_ended_in_one_worker_is_ended_in_all(tmp_path):
    """Two web workers (two processes, each with its own local cache): after one
    ends a session (logout), the other no longer accepts it."""
    env = production_env(tmp_path)
    assert run(["manage.py", "migrate", "-v0"], env).returncode == 0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]

    def ask(worker, line):
        worker.stdin.write(line + "\n")
        worker.stdin.flush()
        return worker.stdout.readline().strip()

    try:
        first, second = workers
        key = ask(first, "create")
        assert ask(second, f"read {key}") == "upload-1"  # the second worker read it
        assert ask(first, f"end {key}") == "ended"
        assert ask(second, f"read {key}") == "-"
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait(timeout=30)
