"""Sixty days of plausible use of the demo manual, for `manage.py load_demo`.

Every row it makes is marked as demo by who made it: the demo readers (accounts
named demo-*, listed in PERSONAS, which cannot log in) or anonymous visitors whose
id starts with "demo-". So it is found again without a table of its own: a re-run
sees the personas and adds nothing, and `load_demo --remove-history` deletes
exactly it.

The manual does not know the apps built on it; each one that has history to add
puts a `demo_history` module beside its models that calls `register()` (found the
way the admin finds `admin` modules). This module adds the manual's own part: a
few notifications for the real accounts.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from ..audience import ANONYMOUS
from ..models import Block, Section
from .content import DEMO_MANUAL

DAYS = 60
SEED = 20240611
VISITOR_PREFIX = "demo-visitor-"

# (username, name, role group): who the demo's readers and triagers are.
PERSONAS = [
    ("demo-lihua", "李华", "agent"),
    ("demo-wangfang", "王芳", "agent"),
    ("demo-zhangwei", "张伟", "agent"),
    ("demo-liuyang", "刘洋", "agent"),
    ("demo-chenjing", "陈静", "agent"),
    ("demo-yangfan", "杨帆", "agent"),
    ("demo-zhaolei", "赵磊", "agent"),
    ("demo-huangmin", "黄敏", "agent"),
    ("demo-zhoujie", "周杰", "agent"),
    ("demo-wuting", "吴婷", "agent"),
    ("demo-sunli", "孙莉", "agent"),
    ("demo-xuqiang", "徐强", "agent"),
    ("demo-zhouqing", "周晴", "manager"),
    ("demo-wangmin", "王敏", "editor"),
]
PERSONA_NAMES = [username for username, _name, _role in PERSONAS]


@dataclass
class Step:
    """One app's part: `load(history)` adds it once; `notify(history, recipients)`
    tells real accounts about it (run again for accounts made later, each told
    once); `remove(personas)` deletes it."""

    name: str
    remove: Callable
    load: Callable | None = None
    notify: Callable | None = None


_steps: list[Step] = []


def register(step: Step) -> None:
    """Add (or replace, by name) one app's part of the demo history."""
    _steps[:] = [s for s in _steps if s.name != step.name] + [step]


@dataclass
class DemoHistory:
    """What every step builds on: the seeded randomness, the clock, the personas and
    the demo's published sections (`key` is the demo content's key of each)."""

    rng: random.Random
    now: dt.datetime
    days: int
    agents: list
    manager: object
    editor: object
    sections: list[Section]
    write: Callable[[str], None]
    by_key: dict[str, Section] = field(default_factory=dict)
    # Real accounts not yet told anything by the demo (see real_recipients).
    recipients: list = field(default_factory=list)

    @property
    def personas(self) -> list:
        return [*self.agents, self.manager, self.editor]

    def is_public(self, section: Section) -> bool:
        """Would an anonymous visitor of the help centre read it?"""
        return ANONYMOUS.sees_object(section)

    def day(self, days_ago: int) -> dt.date:
        return timezone.localdate(self.now) - dt.timedelta(days=days_ago)

    def moment(self, days_ago: int) -> dt.datetime:
        """A time in the working day (8:00-22:00) `days_ago` days back, never later
        than now."""
        start = dt.datetime.combine(
            self.day(days_ago), dt.time(8), tzinfo=timezone.get_current_timezone()
        )
        when = start + dt.timedelta(seconds=self.rng.randrange(14 * 3600))
        if when > self.now:
            when = self.now - dt.timedelta(seconds=self.rng.randrange(1, 3600))
        return when

    def busy(self, days_ago: int) -> float:
        """How busy a day is against a plain weekday: weekends are quiet, and use
        grows a little over the period."""
        weekend = self.day(days_ago).weekday() >= 5
        growth = 1 + 0.006 * (self.days - days_ago)
        return (0.3 if weekend else 1.0) * growth * self.rng.uniform(0.8, 1.2)

    def visitor(self, n: int) -> str:
        return f"{VISITOR_PREFIX}{n:03d}"

    def backdate(self, notifications, *, days_ago: int, read: bool) -> None:
        """Move notifications just sent to a moment `days_ago` days back (read two
        hours later when `read`)."""
        from ..notifications.models import Notification

        when = self.moment(days_ago)
        Notification.objects.filter(
            pk__in=[n.pk for n in notifications if n.pk]
        ).update(created=when, read_at=when + dt.timedelta(hours=2) if read else None)


def _keys_by_title(nodes, found=None) -> dict[str, str]:
    found = {} if found is None else found
    for node in nodes:
        found.setdefault(node["title"], node["key"])
        _keys_by_title(node.get("children", []), found)
    return found


def personas():
    return get_user_model().objects.filter(username__in=PERSONA_NAMES)


def _make_personas():
    """The demo's readers: active (their names show in the reports), no password."""
    User = get_user_model()
    groups = {g.name: g for g in Group.objects.filter(name__in={"agent", "manager"})}
    groups.setdefault("editor", groups.get("agent"))
    view_internal = Permission.objects.filter(
        content_type__app_label="manuals", codename="view_internal"
    ).first()
    made = {}
    for username, name, role in PERSONAS:
        user = User(username=username, first_name=name, is_active=True)
        user.set_unusable_password()
        user.save()
        group = groups.get(role)
        if group is not None:
            user.groups.add(group)
        elif view_internal is not None:  # no role groups (a bare database)
            user.user_permissions.add(view_internal)
        made[username] = user
    return made


def _history(write, users, *, days, seed) -> DemoHistory:
    keys = _keys_by_title(DEMO_MANUAL)
    sections = list(
        Section.objects.filter(
            title__in=keys, in_trash=False, published_revision__isnull=False
        )
        .select_related("published_revision")
        .order_by("path")
    )
    history = DemoHistory(
        rng=random.Random(seed),  # noqa: S311 - demo data, deterministic on purpose
        now=timezone.now(),
        days=days,
        agents=[users[u] for u, _n, role in PERSONAS if role == "agent"],
        manager=users["demo-zhouqing"],
        editor=users["demo-wangmin"],
        sections=sections,
        write=write,
    )
    for section in sections:
        history.by_key.setdefault(keys[section.title], section)
    return history


def real_recipients(limit: int = 20) -> list:
    """Active accounts that are not demo personas and have no demo notification yet
    (at most `limit`): who the demo's notifications are for."""
    from ..notifications.models import Notification

    told = Notification.objects.filter(actor__username__in=PERSONA_NAMES).values(
        "recipient_id"
    )
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(username__in=PERSONA_NAMES)
        .exclude(pk__in=told)
        .order_by("-is_superuser", "pk")[:limit]
    )


def load(*, write: Callable[[str], None], days: int = DAYS, seed: int = SEED) -> bool:
    """Add the demo history unless it is there; tell real accounts not yet told.
    True when the history was added now."""
    autodiscover_modules("demo_history")
    with transaction.atomic():
        existing = {u.username: u for u in personas()}
        added = not existing
        if added:
            existing = _make_personas()
        history = _history(write, existing, days=days, seed=seed)
        history.recipients = real_recipients()
        if added:
            for step in _steps:
                if step.load is not None:
                    step.load(history)
        else:
            write("Demo history already there (remove it with --remove-history).")
        if history.recipients:
            for step in _steps:
                if step.notify is not None:
                    step.notify(history, history.recipients)
    return added


def remove(*, write: Callable[[str], None]) -> int:
    """Delete everything the demo personas and demo visitors did, then them.
    Returns how many personas there were."""
    autodiscover_modules("demo_history")
    with transaction.atomic():
        people = list(personas())
        for step in reversed(_steps):
            step.remove(people)
        count = len(people)
        get_user_model().objects.filter(pk__in=[u.pk for u in people]).delete()
    write(f"Demo history removed ({count} demo readers).")
    return count


# --- the manual's own part: notifications -----------------------------------------


def _notify_manual(history: DemoHistory, recipients) -> None:
    from ..notifications.models import Kind
    from ..notifications.services import notify

    told = 0
    plan = [
        (Kind.SECTION_CHANGED, "refund_timing", 1, False),
        (Kind.SECTION_CHANGED, "coupon_price_protection", 3, True),
        (Kind.SECTION_CHANGED, "reply_templates", 6, True),
    ]
    for kind, key, days_ago, read in plan:
        section = history.by_key.get(key)
        if section is None:
            continue
        rows = notify(
            recipients=recipients,
            kind=kind,
            subject=section,
            text=section.title,
            url=section.get_absolute_url(),
            actor=history.editor,
        )
        history.backdate(rows, days_ago=days_ago, read=read)
        told += len(rows)
    block = Block.objects.filter(key="service-hotline").first()
    if block is not None:
        rows = notify(
            recipients=recipients,
            kind=Kind.BLOCK_CHANGED,
            subject=block,
            text=block.title,
            url=block.get_absolute_url(),
            actor=history.editor,
        )
        history.backdate(rows, days_ago=4, read=True)
        told += len(rows)
    history.write(f"history: {told} notifications about the manual")


def _remove_manual(people) -> None:
    from ..notifications.models import Notification

    Notification.objects.filter(actor__in=people).delete()


register(Step(name="manual", remove=_remove_manual, notify=_notify_manual))
