"""Two real processes saving at once share one whoosh index (one writer at a time):
no save fails and no index update is lost."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HELPER = Path(__file__).with_name("concurrent_writer.py")
PER_PROCESS = 12


def _env(tmp_path):
    env = dict(os.environ)
    env.update(
        KB_DATA_DIR=str(tmp_path / "data"),
        KB_SEARCH_PATH=str(tmp_path / "data" / "search"),
        DJANGO_SETTINGS_MODULE="kbsite.test_settings",
        KB_SEARCH_INLINE="1",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.mark.django_db(transaction=False)
def test_two_processes_save_concurrently(tmp_path):
    """Both processes' saves succeed; afterwards the index matches the database."""
    env = _env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    writers = [
        subprocess.Popen(
            [sys.executable, str(HELPER), "write", name, str(PER_PROCESS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    for proc in writers:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == {"saved": PER_PROCESS}
        assert "Traceback" not in err
    out = subprocess.run(
        [sys.executable, str(HELPER), "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["ok"], result
    assert result["found"] == 2 * PER_PROCESS
