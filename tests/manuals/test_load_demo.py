"""`manage.py load_demo` loads a realistic Chinese manual, and is safe to run again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from manuals.models import Section, Visibility


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The demo loaded once for the module, inside a transaction rolled back after
    its last test (each test still runs in its own savepoint)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            out = StringIO()
            call_command("load_demo", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def demo(demo_once, db):
    return demo_once


def test_demo_is_a_real_manual(demo):
    """At least 40 published sections over 3+ levels, a few public, mostly Chinese."""
    sections = Section.objects.all()
    assert sections.count() >= 40
    assert max(s.depth for s in sections) >= 3
    assert sections.filter(published_revision__isnull=True).count() == 0
    assert sections.filter(visibility=Visibility.PUBLIC).count() >= 3
    kinds = set(sections.values_list("kind", flat=True))
    assert {"policy", "sop", "escalation", "scenario", "resource"} <= kinds
    body = "".join(
        s.published_revision.body for s in sections.select_related("published_revision")
    )
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in body)
    assert chinese > 10_000
    assert not any(Section.objects.find_problems())


def test_demo_shows_progress(demo):
    """The command prints one progress line per section and a summary."""
    total = Section.objects.count()
    assert f"[{total}/{total}]" in demo
    assert f"{total} sections created" in demo


def test_demo_is_idempotent(demo):
    """Running it twice creates nothing new and keeps an editor's changes."""
    first = Section.objects.first()
    Section.objects.filter(pk=first.pk).update(kind="article")
    count = Section.objects.count()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert Section.objects.count() == count
    assert "0 sections created" in out.getvalue()
    first.refresh_from_db()
    assert first.kind == "article"


def test_public_sections_never_under_internal(demo):
    """The demo keeps the visibility rule: nothing public inside an internal manual."""
    for section in Section.objects.filter(visibility=Visibility.PUBLIC):
        ancestors = Section.objects.get_ancestors(section)
        assert all(a.visibility == Visibility.PUBLIC for a in ancestors)


def test_demo_shows_reusable_blocks(demo):
    """The demo has blocks embedded in several sections, and an internal block in a
    section never reaches the public rendering."""
    from manuals.models import Block, BlockUsage
    from manuals.rendering import render_revision

    assert Block.objects.count() >= 3
    assert BlockUsage.objects.values("object_id").distinct().count() >= 5
    sop = Section.objects.get(title="客户接待标准流程")
    staff = render_revision(sop.published_revision, "internal:").html
    public = render_revision(sop.published_revision, "public").html
    assert "工号 1024" in staff and "工号 1024" not in public
