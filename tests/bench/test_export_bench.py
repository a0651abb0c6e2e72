"""Benchmark: `export_portal` of 5,000 public sections must finish in under a minute.

Run with `make bench`. Prints the time and the size of the search index.
"""

import os
import time

import pytest
from django.utils import timezone

from manuals.models import Revision, Section, Visibility
from manuals.transfer.export_static import export_portal

SIZE = int(os.environ.get("KB_BENCH_SECTIONS", "5000"))
BODY = (
    "## 处理步骤\n\n1. 核实订单号与收货信息。\n2. 按退货政策判断是否符合条件。\n"
    "3. 在工单系统登记并告知客户预计时效。\n\n| 项目 | 时限 |\n| --- | --- |\n"
    "| 退款到账 | 3-5 个工作日 |\n\nRefunds are processed within five days.\n"
) * 3


def _build(size: int) -> None:
    per_chapter = max(1, -(-(size - 110) // 100))
    data = []
    for m in range(10):
        chapters = []
        for c in range(10):
            leaves = [
                {
                    "data": {
                        "title": f"第{m}-{c}-{s}节 退货與退款处理",
                        "slug": f"s-{m}-{c}-{s}",
                        "kind": "article",
                        "visibility": Visibility.PUBLIC,
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
                        "visibility": Visibility.PUBLIC,
                    },
                    "children": leaves,
                }
            )
        data.append(
            {
                "data": {
                    "title": f"帮助{m}",
                    "slug": f"m-{m}",
                    "kind": "manual",
                    "visibility": Visibility.PUBLIC,
                },
                "children": chapters,
            }
        )
    Section.objects.load_bulk(data)
    now = timezone.now()
    ids = list(Section.objects.values_list("pk", flat=True))
    Revision.objects.bulk_create(
        [
            Revision(section_id=pk, number=1, title=f"节 {pk}", body=BODY, created=now)
            for pk in ids
        ],
        batch_size=1000,
    )
    for rev_id, section_id in Revision.objects.values_list("pk", "section_id"):
        Section.objects.filter(pk=section_id).update(
            published_revision_id=rev_id, head_revision_id=rev_id, published_at=now
        )


@pytest.mark.django_db
def test_export_of_5000_sections_takes_under_a_minute(tmp_path):
    """The static export of a 5,000-section public manual (folder and zip)."""
    _build(SIZE)
    count = Section.objects.count()
    started = time.perf_counter()
    report = export_portal(tmp_path / "site", live_url="https://kb.example.com")
    folder_seconds = time.perf_counter() - started
    started = time.perf_counter()
    export_portal(tmp_path / "site.zip", live_url="")
    zip_seconds = time.perf_counter() - started
    index = (tmp_path / "site/search/index.js").stat().st_size
    print(
        f"\nexport_portal: {count} sections -> folder {folder_seconds:.1f} s, "
        f"zip {zip_seconds:.1f} s ({report.files} files, search index "
        f"{index / 1e6:.1f} MB)"
    )
    assert report.sections == count
    assert folder_seconds < 60 and zip_seconds < 60
