"""A worker process for the concurrency test: one editor saving from stale bases.

`python -m tests.manuals.concurrency_worker setup` creates the users and sections;
`python -m tests.manuals.concurrency_worker run N SECONDS OUT` is editor N saving for
SECONDS and writing what it submitted (and what came back) to OUT as JSON.
"""

import json
import os
import random
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kbsite.test_settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402

from manuals.models import Revision, Section  # noqa: E402
from manuals.sections import services  # noqa: E402

LINES = 10
SECTIONS = 5


def setup(editors: int) -> None:
    User = get_user_model()
    groups = Group.objects.filter(name__in=["editor", "publisher"])
    admin = User.objects.create_superuser("admin", password="pw")
    for n in range(editors):
        user = User.objects.create_user(f"editor{n}", password="pw")
        user.groups.set(groups)
    root = services.section_create(
        parent=None,
        title="并发测试手册",
        kind="manual",
        visibility="internal",
        user=admin,
    )
    body = "".join(f"第{i}行\n" for i in range(LINES))
    for s in range(SECTIONS):
        services.section_create(
            parent=root,
            title=f"共享章节{s}",
            body=body,
            kind="article",
            visibility="internal",
            user=admin,
        )


def run(worker: int, seconds: float, out: str, at_least: int = 0) -> None:
    """Save for `seconds`, and on until `at_least` saves were made (a loaded
    machine slows the saves, not what they prove), but never past a minute."""
    rng = random.Random(worker)
    user = get_user_model().objects.get(username=f"editor{worker}")
    shared = list(Section.objects.filter(depth=2, title__startswith="共享章节"))
    root = Section.objects.get(depth=1)
    stale: dict[int, Revision] = {}
    log = {"submitted": [], "errors": [], "children": []}
    start = time.monotonic()
    deadline, cap = start + seconds, start + max(seconds, 60)
    n = 0
    while time.monotonic() < deadline or (n < at_least and time.monotonic() < cap):
        n += 1
        token = f"w{worker}n{n}"
        try:
            if rng.random() < 0.05:
                child = services.section_create(
                    parent=root,
                    title=f"新章节 {token}",
                    kind="article",
                    visibility="internal",
                    user=user,
                )
                log["children"].append(child.pk)
                continue
            section = rng.choice(shared)
            head = Section.objects.get(pk=section.pk).head_revision
            base = stale.get(section.pk, head) if rng.random() < 0.6 else head
            stale[section.pk] = head
            lines = base.body.splitlines(True)
            # Mostly my own line (clean merges); sometimes a neighbour's (conflicts).
            line = worker % LINES if rng.random() < 0.8 else rng.randrange(LINES)
            lines[line] = lines[line].rstrip("\n") + f" {token}\n"
            result = services.section_save(
                section=section,
                user=user,
                title=base.title,
                body="".join(lines),
                base=base,
            )
            log["submitted"].append([token, section.pk, result.status])
        except Exception as exc:  # noqa: BLE001 - the test counts every failure
            log["errors"].append(f"{type(exc).__name__}: {exc}")
    with open(out, "w") as fh:
        json.dump(log, fh)


def state() -> None:
    """Print every revision body and conflict draft, and the tree's problems."""
    from manuals.models import Draft

    bodies: dict[int, list[str]] = {}
    for sid, body in Revision.objects.values_list("section_id", "body"):
        bodies.setdefault(sid, []).append(body)
    drafts: dict[int, list[str]] = {}
    conflicts = Draft.objects.filter(kind=Draft.Kind.CONFLICT)
    for sid, body in conflicts.values_list("section_id", "body"):
        drafts.setdefault(sid, []).append(body)
    print(
        json.dumps(
            {
                "bodies": bodies,
                "drafts": drafts,
                "problems": [len(p) for p in Section.objects.find_problems()],
                "sections": list(Section.objects.values_list("pk", flat=True)),
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    elif sys.argv[1] == "state":
        state()
    else:
        at_least = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        run(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], at_least)
