"""Helper run as a separate process by test_concurrency.py (not a test module).

usage: concurrent_writer.py write <name> <count> | check [--no-apply] | wait

`check` applies what is left in the outbox (unless --no-apply) and compares the index
with the database; `wait` waits (up to a minute) for a search_worker to empty the
outbox.
"""

import json
import os
import sys
import time

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.test_settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from manuals.search import get_search_backend  # noqa: E402
from manuals.search import services as search_services  # noqa: E402
from manuals.search.models import IndexTask  # noqa: E402
from manuals.search.outbox import apply_all  # noqa: E402
from manuals.sections import services  # noqa: E402


def write(name: str, count: int) -> None:
    user = get_user_model().objects.create(username=name, is_superuser=True)
    for i in range(count):
        section = services.section_create(
            parent=None,
            title=f"{name} 并发写入 {i}",
            body=f"并发测试正文 {name}{i} 退货流程",
            kind="article",
            visibility="internal",
            user=user,
        )
        services.section_update_settings(
            section=section,
            user=user,
            kind="policy",
            visibility="internal",
            tags=[name],
        )
    print(json.dumps({"saved": count}))


def wait() -> None:
    deadline = time.monotonic() + 60
    pending = IndexTask.objects.count()
    while pending and time.monotonic() < deadline:
        time.sleep(0.1)
        pending = IndexTask.objects.count()
    print(json.dumps({"pending": pending}))


def check(*, apply: bool = True) -> None:
    leftover = apply_all() if apply else IndexTask.objects.count()
    report = search_services.check_index()
    admin = get_user_model().objects.filter(is_superuser=True).first()
    found = search_services.search_sections(
        user=admin, parsed=search_services.parse("并发测试"), per_page=100
    )
    print(
        json.dumps(
            {
                "backend": type(get_search_backend()).__name__,
                "leftover": leftover,
                "ok": report.ok,
                "stale": report.stale,
                "missing": report.missing,
                "found": found.total,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "wait":
        wait()
    else:
        check(apply="--no-apply" not in sys.argv)
