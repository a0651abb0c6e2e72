"""The outbox: rows commit with the change, survive a crash, and replay."""

import pytest
from django.db import transaction

from manuals.models import Section
from manuals.search import services
from manuals.search.backends.base import IndexBusy
from manuals.search.models import IndexTask
from manuals.search.outbox import _apply_after_commit, apply_pending
from manuals.sections import services as manual_services
from tests.factories import make_section


def _found(user, q):
    return [
        h.object_id
        for h in services.search_sections(user=user, parsed=services.parse(q)).hits
    ]


def test_change_writes_a_row_in_its_transaction(admin_user):
    """Publishing writes an IndexTask; a rolled-back change leaves none."""
    section = make_section(title="发票开具", user=admin_user)
    assert IndexTask.objects.filter(object_id=str(section.pk)).exists()
    IndexTask.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        manual_services.section_update_settings(
            section=section, user=admin_user, kind="policy", visibility="internal"
        )
        assert IndexTask.objects.exists()
        raise RuntimeError("boom")
    assert not IndexTask.objects.exists()


def test_applied_after_commit(admin_user, django_capture_on_commit_callbacks):
    """Inline mode applies the rows right after commit and empties the outbox."""
    with django_capture_on_commit_callbacks(execute=True):
        section = make_section(title="发票开具", body="电子发票", user=admin_user)
    assert _found(admin_user, "电子发票") == [section.pk]
    assert not IndexTask.objects.exists()


def test_crash_between_commit_and_indexing_loses_nothing(
    admin_user, index_now, monkeypatch, search_index
):
    """If indexing fails after commit, the save stands, the row stays, and a replay
    (worker or next save) indexes it."""

    def broken_batch(**kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(search_index, "batch", broken_batch)
    section = make_section(title="发票开具", body="纸质发票", user=admin_user)
    _apply_after_commit()  # logs, never raises into the request
    assert Section.objects.filter(pk=section.pk).exists()
    assert IndexTask.objects.filter(object_id=str(section.pk)).exists()
    monkeypatch.undo()
    assert index_now() >= 1
    assert _found(admin_user, "纸质发票") == [section.pk]


def test_error_while_building_counts_an_attempt(admin_user, monkeypatch):
    """A failing builder marks the rows' attempts and keeps them, to be retried
    later (tests/manuals/search/test_outbox_parking.py follows them further)."""
    from manuals.search import sections

    make_section(title="发票开具", user=admin_user)

    def boom(self, ids):
        raise ValueError("bad markdown")
        yield  # pragma: no cover

    monkeypatch.setattr(sections.SectionDocumentBuilder, "documents", boom)
    assert apply_pending() == 1
    task = IndexTask.objects.get()
    assert task.attempts == 1 and "bad markdown" in task.last_error
    assert task.next_attempt is not None and not task.parked


def test_busy_index_keeps_rows(admin_user, search_index, caplog):
    """While another writer holds the lock, the hook gives up quietly; rows stay."""
    make_section(title="发票开具", user=admin_user)
    with search_index.batch():
        with pytest.raises(IndexBusy):
            apply_pending(timeout=0.1)
    assert IndexTask.objects.exists()
    assert apply_pending() >= 1


def test_duplicate_rows_are_applied_once(admin_user, index_now):
    """Several rows for one section give one indexed document."""
    section = make_section(title="发票开具", user=admin_user)
    for _ in range(3):
        manual_services.section_update_settings(
            section=section, user=admin_user, kind="policy", visibility="internal"
        )
    index_now()
    assert _found(admin_user, "发票") == [section.pk]
    assert services.check_index().ok
