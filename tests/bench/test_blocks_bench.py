"""Benchmark: publishing a block that 500 sections follow.

Run with `make bench` (tests/bench is outside `make test`: norecursedirs). The sections
are made in bulk, but their where-used rows come from `directives.refresh_usage`, as
the services write them. The publish runs in a real transaction, so the search outbox
is applied after commit exactly as in production. Prints publish+index seconds, the
time to re-render all 500 for the staff audience (warm: right after publishing; cold:
with an empty render cache) and the total until all 500 are searchable.
"""

import os
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from manuals import directives
from manuals.blocks import services as blocks
from manuals.models import Block, BlockUsage, Revision, Section, Visibility
from manuals.rendering import render_revision
from manuals.search import get_search_backend, reset_search_backend
from manuals.search import services as search
from manuals.search.models import IndexTask
from manuals.search.outbox import apply_all
from tests.factories import make_user

SIZE = int(os.environ.get("KB_BENCH_BLOCK_SECTIONS", "500"))
OLD_WORD = "bencholdword"
NEW_WORD = "benchnewword"
BODY = (
    "## 处理步骤\n\n1. 核实订单号与收货信息。\n2. 按退货政策判断是否符合条件。\n\n"
    "{{block:bench-rule}}\n\n| 项目 | 时限 |\n| --- | --- |\n| 退款到账 | 3-5 个工作日 |\n"
)


@pytest.fixture
def index(settings, tmp_path):
    settings.KB_SEARCH_BACKEND = {
        "BACKEND": "manuals.search.backends.whoosh.WhooshSearchBackend",
        "OPTIONS": {"PATH": str(tmp_path / "index"), "LOCK_TIMEOUT": 30},
    }
    settings.KB_SEARCH_INLINE_LOCK_TIMEOUT = 30
    reset_search_backend()
    yield get_search_backend()
    reset_search_backend()


def _sections(size: int) -> list[int]:
    """One manual with `size` published sections that follow the block."""
    root = {
        "data": {"title": "基准手册", "slug": "bench", "kind": "manual"},
        "children": [
            {
                "data": {
                    "title": f"第{i}节 退款规则",
                    "slug": f"s-{i}",
                    "kind": "article",
                    "visibility": Visibility.INTERNAL,
                }
            }
            for i in range(size)
        ],
    }
    Section.objects.load_bulk([root])
    now = timezone.now()
    ids = list(Section.objects.filter(depth=2).values_list("pk", flat=True))
    all_ids = list(Section.objects.values_list("pk", flat=True))
    Revision.objects.bulk_create(
        [
            Revision(
                section_id=pk,
                number=1,
                title=f"节 {pk}",
                body=BODY if pk in set(ids) else "基准手册",
                created=now,
            )
            for pk in all_ids
        ],
        batch_size=1000,
    )
    for rev_id, section_id in Revision.objects.values_list("pk", "section_id"):
        Section.objects.filter(pk=section_id).update(
            published_revision_id=rev_id, head_revision_id=rev_id, published_at=now
        )
    for section in Section.objects.filter(pk__in=ids):
        directives.refresh_usage(section, [BODY])
    return ids


def _search_all(user, word):
    """Every section id the search API returns for `word`, page by page."""
    found, page, total = set(), 1, None
    while True:
        results = search.search_sections(
            user=user, parsed=search.parse(word), page=page, per_page=100
        )
        total = results.total
        found |= {h.object_id for h in results.hits}
        if page >= results.num_pages:
            return found, total
        page += 1


@pytest.mark.django_db(transaction=True)
def test_publish_block_followed_by_500_sections(index):
    """Publishing a block followed by 500 sections: until all are re-rendered and
    searchable with the new text (and none with the old)."""
    from django.core.management import call_command

    call_command("setup_roles", verbosity=0)
    user = make_user("editor", "publisher", username="bench-publisher")
    block = blocks.block_create(
        key="bench-rule",
        title="Bench rule",
        body=f"退款在七个工作日内完成。{OLD_WORD}",
        visibility="public",
        user=user,
        publish=True,
    )
    ids = _sections(SIZE)
    assert BlockUsage.objects.filter(block=block, pinned__isnull=True).count() == SIZE
    search.rebuild_index()
    found, total = _search_all(user, OLD_WORD)
    assert found == set(ids) and total == SIZE

    result = blocks.block_save(
        block=Block.objects.get(pk=block.pk),
        user=user,
        body=f"退款在五个工作日内完成。{NEW_WORD}",
        base=Block.objects.get(pk=block.pk).head_revision,
    )
    cache.clear()
    IndexTask.objects.all().delete()

    start = time.perf_counter()
    affected = blocks.block_publish(
        block=Block.objects.get(pk=block.pk), revision=result.revision, user=user
    )  # commits; the after-commit hook applies the outbox inline
    leftover = apply_all()  # anything the inline apply left (should be nothing)
    published = time.perf_counter()
    assert sorted(affected) == sorted(ids)

    revisions = list(
        Revision.objects.filter(
            pk__in=Section.objects.filter(pk__in=ids).values("published_revision_id")
        )
    )
    for revision in revisions:
        assert NEW_WORD in render_revision(revision, "internal:").html
    rendered = time.perf_counter()
    found, total = _search_all(user, NEW_WORD)
    searched = time.perf_counter()
    assert found == set(ids) and total == SIZE
    assert _search_all(user, OLD_WORD) == (set(), 0)

    cache.clear()
    cold_start = time.perf_counter()
    for revision in revisions:
        render_revision(revision, "internal:")
    cold = time.perf_counter() - cold_start

    print(f"\nPublishing a block followed by {SIZE} sections")
    print(f"{'step':<38} {'seconds':>8}")
    print(f"{'publish + index (outbox, inline)':<38} {published - start:>8.2f}")
    print(f"{'  outbox rows left for apply_all':<38} {leftover:>8}")
    print(f"{'re-render all (staff, after publish)':<38} {rendered - published:>8.2f}")
    print(f"{'search new word, all pages':<38} {searched - rendered:>8.2f}")
    print(f"{'total until all searchable+rendered':<38} {searched - start:>8.2f}")
    print(f"{'(re-render all, cold render cache)':<38} {cold:>8.2f}")
