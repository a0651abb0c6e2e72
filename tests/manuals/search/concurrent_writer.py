"""Helper run as a separate process by test_concurrency.py (not a test module).

usage: concurrent_writer.py write <name> <count> | check
"""

import json
import os
import sys

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.test_settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from manuals import services  # noqa: E402
from manuals.search import services as search_services  # noqa: E402
from manuals.search.outbox import apply_all  # noqa: E402


def write(name: str, count: int) -> None:
    user = get_user_model().objects.create(username=name, is_superuser=True)
    for i in range(count):
        section = services.create_section(
            None,
            title=f"{name} 并发写入 {i}",
            body=f"并发测试正文 {name}{i} 退货流程",
            kind="article",
            visibility="internal",
            user=user,
        )
        services.update_section_settings(
            section, user=user, kind="policy", visibility="internal", tags=[name]
        )
    print(json.dumps({"saved": count}))


def check() -> None:
    leftover = apply_all()
    report = search_services.check_index()
    admin = get_user_model().objects.filter(is_superuser=True).first()
    found = search_services.search_sections(
        user=admin, parsed=search_services.parse("并发测试"), per_page=100
    )
    print(
        json.dumps(
            {
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
    else:
        check()
