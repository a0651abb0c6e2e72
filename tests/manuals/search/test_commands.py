"""search_index --rebuild / --check [--fix] and search_worker --once."""

import pytest
from django.core.management import call_command

from manuals.models import Revision, Section
from manuals.search import services
from manuals.search.models import IndexTask
from tests.factories import make_section


@pytest.fixture
def two_sections(admin_user):
    a = make_section(title="发票开具", body="电子发票", user=admin_user)
    b = make_section(title="物流查询", body="快递单号", user=admin_user)
    return a, b


def test_rebuild_indexes_everything_and_empties_outbox(
    two_sections, admin_user, capsys
):
    """--rebuild indexes every published section and prints a progress bar."""
    call_command("search_index", "--rebuild")
    out = capsys.readouterr().out
    assert "Indexed 2 documents" in out and "[" in out
    assert not IndexTask.objects.exists()
    found = services.search_sections(user=admin_user, parsed=services.parse("快递"))
    assert [h.object_id for h in found.hits] == [two_sections[1].pk]


def test_check_reports_differences_and_fix_repairs(two_sections, admin_user, capsys):
    """A row changed behind the services' back is reported (exit 1) and fixed."""
    call_command("search_index", "--rebuild", "--no-progress")
    call_command("search_index", "--check")
    assert "matches" in capsys.readouterr().out
    a, b = two_sections
    # Change the published text without the services (no signal, no outbox row).
    rev = Revision.objects.create(
        section=a, number=99, title="发票开具", body="改过的正文"
    )
    Section.objects.filter(pk=a.pk).update(published_revision=rev)
    Section.objects.filter(pk=b.pk).delete()
    with pytest.raises(SystemExit) as exit_info:
        call_command("search_index", "--check")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert f"stale: section {a.pk}" in out and f"orphaned: section {b.pk}" in out
    call_command("search_index", "--check", "--fix")
    assert "now matches" in capsys.readouterr().out
    call_command("search_index", "--check")
    found = services.search_sections(user=admin_user, parsed=services.parse("改过"))
    assert [h.object_id for h in found.hits] == [a.pk]


def test_worker_once_drains_the_outbox(two_sections, admin_user):
    """search_worker --once applies pending rows and exits."""
    assert IndexTask.objects.exists()
    call_command("search_worker", "--once")
    assert not IndexTask.objects.exists()
    assert services.check_index().ok


# Its own SQLite database and whoosh index whatever the suite runs on: the PostgreSQL
# run of make test leaves it out.
@pytest.mark.database_independent
def test_search_index_runs_from_the_command_line(tmp_path):
    """`manage.py search_index` works as an operator runs it (with Django's system
    checks, which call_command skips)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "KB_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kbsite.test_settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "KB_SEARCH_BACKEND": "whoosh",  # its own SQLite database
    }
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
    for args in (["--rebuild"], ["--check"]):
        result = subprocess.run(
            [*run, "search_index", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-500:]
