"""Benchmark: section pages (with the sidebar tree) on a manual of 5,000 sections.

Run with `make bench`. Prints the median and p95 time to render a section page at
several depths, and the query count, which must not grow with the tree.
"""

import os
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from manuals.models import Revision, Section, Visibility
from tests.factories import make_user

SIZE = int(os.environ.get("KB_BENCH_SECTIONS", "5000"))
BODY = (
    "## 处理步骤\n\n1. 核实订单号与收货信息。\n2. 按退货政策判断是否符合条件。\n"
    "3. 在工单系统登记并告知客户预计时效。\n\n| 项目 | 时限 |\n| --- | --- |\n"
    "| 退款到账 | 3-5 个工作日 |\n"
) * 3


def _build_tree(size: int) -> list[int]:
    """10 manuals x 10 chapters x N sections (some with children): `size` in all."""
    per_chapter = max(1, -(-(size - 110) // 100))
    data = []
    for m in range(10):
        chapters = []
        for c in range(10):
            leaves = [
                {
                    "data": {
                        "title": f"第{m}-{c}-{s}节 退货与退款处理",
                        "slug": f"s-{m}-{c}-{s}",
                        "kind": "article",
                        "visibility": Visibility.INTERNAL,
                    }
                }
                for s in range(per_chapter)
            ]
            chapters.append(
                {
                    "data": {
                        "title": f"第{m}-{c}章",
                        "slug": f"c-{m}-{c}",
                        "kind": "chapter",
                        "visibility": Visibility.INTERNAL,
                    },
                    "children": leaves,
                }
            )
        data.append(
            {
                "data": {
                    "title": f"手册{m}",
                    "slug": f"m-{m}",
                    "kind": "manual",
                    "visibility": Visibility.INTERNAL,
                },
                "children": chapters,
            }
        )
    Section.objects.load_bulk(data)
    now = timezone.now()
    # Only the generated sections (a tree may already hold the demo manual).
    ids = list(
        Section.objects.filter(head_revision__isnull=True).values_list("pk", flat=True)
    )
    Revision.objects.bulk_create(
        [
            Revision(section_id=pk, number=1, title=f"节 {pk}", body=BODY, created=now)
            for pk in ids
        ],
        batch_size=1000,
    )
    generated = Revision.objects.filter(section_id__in=ids)
    for rev_id, section_id in generated.values_list("pk", "section_id").iterator():
        Section.objects.filter(pk=section_id).update(
            published_revision_id=rev_id, head_revision_id=rev_id, published_at=now
        )
    return ids


@pytest.mark.django_db
def test_section_page_speed(client):
    """Median page time and query count for section pages in a 5,000-section tree."""
    ids = _build_tree(SIZE)
    total = Section.objects.count()
    client.force_login(make_user("agent", username="bench-agent"))
    deep = Section.objects.filter(depth=3).order_by("path")
    targets = {
        "manual (depth 1)": Section.objects.filter(depth=1).first(),
        "chapter (depth 2)": Section.objects.filter(depth=2).first(),
        "section (depth 3)": deep[len(deep) // 2],
    }
    print(f"\nSection page benchmark: {total} sections ({len(ids)} ids)")
    print(f"{'page':<20} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, section in targets.items():
        url = section.get_absolute_url()
        client.get(url)  # warm the render cache, as a real site would be
        times = []
        for _ in range(30):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{label:<20} {statistics.median(times):>10.1f} {p95:>8.1f} "
            f"{len(queries):>8}"
        )
    home_times = []
    for _ in range(20):
        start = time.perf_counter()
        client.get("/")
        home_times.append((time.perf_counter() - start) * 1000)
    print(f"{'home':<20} {statistics.median(home_times):>10.1f}")
