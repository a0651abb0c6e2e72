"""A document that cannot be built never blocks the others: its rows are retried with
backoff, parked after MAX_ATTEMPTS, skipped by the appliers and reported (on every
search backend)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from manuals.search import outbox, services
from manuals.search.models import IndexTask
from manuals.search.outbox import apply_all, apply_pending, retry_delay
from manuals.search.sections import SectionDocumentBuilder
from tests.factories import make_section

pytestmark = pytest.mark.django_db


def _found(user, query):
    results = services.search_sections(user=user, parsed=services.parse(query))
    return [h.object_id for h in results.hits]


@pytest.fixture
def poison(monkeypatch):
    """poison(section): building that section's document raises from now on;
    poison.cure() undoes it."""
    build = SectionDocumentBuilder.document
    bad: set[int] = set()

    def document(self, section, chain):
        if section.pk in bad:
            raise ValueError(f"cannot build section {section.pk}")
        return build(self, section, chain)

    monkeypatch.setattr(SectionDocumentBuilder, "document", document)

    def plant(section):
        bad.add(section.pk)

    plant.cure = bad.clear
    return plant


def _make_due():
    """Time passes: every waiting row is due again."""
    IndexTask.objects.update(next_attempt=timezone.now() - timedelta(seconds=1))


def test_a_poisoned_task_does_not_block_the_next_one(admin_user, poison):
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    poison(bad)
    good = make_section(title="退货流程", body="七天无理由", user=admin_user)
    apply_all()
    assert _found(admin_user, "退货流程") == [good.pk]
    task = IndexTask.objects.get()
    assert task.object_id == str(bad.pk)
    assert task.attempts == 1 and not task.parked
    assert "cannot build section" in task.last_error
    assert task.next_attempt > timezone.now()


def test_backoff_doubles_up_to_a_cap():
    delays = [retry_delay(n) for n in range(1, 6)]
    assert delays[0] == timedelta(seconds=outbox.RETRY_SECONDS)
    assert all(b == 2 * a for a, b in zip(delays, delays[1:], strict=False))
    assert retry_delay(100) == timedelta(seconds=outbox.RETRY_MAX_SECONDS)


def test_the_row_is_parked_after_max_attempts_and_skipped(admin_user, poison):
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    poison(bad)
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert apply_pending() == 1
        task = IndexTask.objects.get()
        assert task.attempts == attempt
        assert task.parked == (attempt == outbox.MAX_ATTEMPTS)
        # Not due again until time passes.
        assert apply_pending() == 0
        _make_due()
    assert apply_pending() == 0  # parked rows are skipped even when due
    call_command("search_worker", "--once", stdout=StringIO())
    assert IndexTask.objects.get().attempts == outbox.MAX_ATTEMPTS


def test_check_lists_parked_rows_and_fix_retries_them(admin_user, poison, capsys):
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    make_section(title="好的一节", body="正文", user=admin_user)
    poison(bad)
    for _ in range(outbox.MAX_ATTEMPTS):
        apply_all()
        _make_due()
    assert IndexTask.objects.get().parked
    with pytest.raises(SystemExit) as exit_info:
        call_command("search_index", "--check")
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert f"parked after {outbox.MAX_ATTEMPTS} attempts: section {bad.pk}" in out.out
    assert f"cannot be built: section {bad.pk} (坏的一节)" in out.out
    assert "updates are parked" in out.err
    poison.cure()
    call_command("search_index", "--check", "--fix")
    assert "now matches" in capsys.readouterr().out
    assert not IndexTask.objects.exists()
    assert _found(admin_user, "坏的") == [bad.pk]


def test_a_new_change_takes_the_parked_rows_with_it(admin_user, poison):
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    poison(bad)
    for _ in range(outbox.MAX_ATTEMPTS):
        apply_all()
        _make_due()
    poison.cure()
    outbox.enqueue(doc_type="section", object_ids=[bad.pk])
    apply_all()
    assert not IndexTask.objects.exists()
    assert _found(admin_user, "坏的") == [bad.pk]


def test_a_database_error_in_one_build_spares_the_batch(admin_user, monkeypatch):
    """A build that fails in the database (which aborts a PostgreSQL transaction)
    runs in a savepoint: the other documents and the task bookkeeping still work."""
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    good = make_section(title="退货流程", body="七天无理由", user=admin_user)
    build = SectionDocumentBuilder.document

    def document(self, section, chain):
        if section.pk == bad.pk:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM kb_no_such_table")
        return build(self, section, chain)

    monkeypatch.setattr(SectionDocumentBuilder, "document", document)
    apply_all()
    assert _found(admin_user, "退货流程") == [good.pk]
    assert IndexTask.objects.get().object_id == str(bad.pk)


def test_rebuild_leaves_out_what_cannot_be_built_and_queues_it(
    admin_user, poison, capsys
):
    bad = make_section(title="坏的一节", body="正文", user=admin_user)
    good = make_section(title="退货流程", body="七天无理由", user=admin_user)
    poison(bad)
    call_command("search_index", "--rebuild", "--no-progress")
    assert "Indexed 1 documents" in capsys.readouterr().out
    assert _found(admin_user, "退货流程") == [good.pk]
    task = IndexTask.objects.get()
    assert task.object_id == str(bad.pk) and task.attempts == 1
    assert task.next_attempt > timezone.now()
