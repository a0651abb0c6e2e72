"""Benchmarks of analytics: page throughput with analytics on and off, and the
dashboard's response time on a million page views and 200,000 searches.

Run with `make bench` (or `pytest -s tests/bench/test_analytics_bench.py -o
norecursedirs=`). Sizes: KB_BENCH_PAGEVIEWS, KB_BENCH_SEARCHES, KB_BENCH_REQUESTS.
"""

import datetime as dt
import os
import random
import statistics
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from faq.models import Question
from feedback import events
from feedback.models import ArticleFeedback, PageView, SearchEvent
from feedback.receivers import on_section_viewed
from manuals.models import Revision, Section, Visibility
from tests.factories import make_user

PAGEVIEWS = int(os.environ.get("KB_BENCH_PAGEVIEWS", "1000000"))
SEARCHES = int(os.environ.get("KB_BENCH_SEARCHES", "200000"))
REQUESTS = int(os.environ.get("KB_BENCH_REQUESTS", "300"))
DAYS = 90


def _sections(count: int) -> list[int]:
    """`count` published internal articles under 5 manuals (bulk, like the page bench)."""
    per = max(1, count // 5)
    Section.objects.load_bulk(
        [
            {
                "data": {
                    "title": f"手册{m}",
                    "slug": f"m{m}",
                    "kind": "manual",
                    "visibility": Visibility.INTERNAL,
                },
                "children": [
                    {
                        "data": {
                            "title": f"第{m}-{s}节 退款与退货",
                            "slug": f"s{m}-{s}",
                            "kind": "article",
                            "visibility": Visibility.INTERNAL,
                        }
                    }
                    for s in range(per)
                ],
            }
            for m in range(5)
        ]
    )
    now = timezone.now()
    ids = list(Section.objects.values_list("pk", flat=True))
    Revision.objects.bulk_create(
        [
            Revision(section_id=pk, number=1, title=f"节 {pk}", body="正文 " * 50)
            for pk in ids
        ],
        batch_size=1000,
    )
    for rev_id, section_id in Revision.objects.values_list("pk", "section_id"):
        Section.objects.filter(pk=section_id).update(
            published_revision_id=rev_id, head_revision_id=rev_id, published_at=now
        )
    return ids


@pytest.mark.django_db(transaction=True)
def test_page_view_throughput_analytics_on_vs_off(client):
    """Time per section-page request with analytics off, buffered (the default) and
    unbuffered (one INSERT per view). The modes alternate request by request, in a
    rotating order, so drift and warm-up hit all three alike; then the cost of the
    receiver alone is timed without the page around it."""
    _sections(50)
    agent = make_user("agent", username="bench-agent")
    client.force_login(agent)
    section = Section.objects.filter(depth=2).select_related("published_revision")[0]
    url = section.get_absolute_url()
    for _ in range(30):
        client.get(url)  # warm caches and connections
    events.flush()
    modes = {
        "off": {"KB_ANALYTICS_ENABLED": False},
        "on (buffered)": {"KB_ANALYTICS_ENABLED": True, "KB_ANALYTICS_BATCH_SIZE": 200},
        "on (unbuffered)": {"KB_ANALYTICS_ENABLED": True, "KB_ANALYTICS_BATCH_SIZE": 1},
    }
    names = list(modes)
    spent = dict.fromkeys(names, 0.0)
    before = PageView.objects.count()
    for i in range(REQUESTS):
        for name in names[i % 3 :] + names[: i % 3]:
            with override_settings(**modes[name]):
                t0 = time.perf_counter()
                response = client.get(url)
                spent[name] += time.perf_counter() - t0
                assert response.status_code == 200
    events.flush()
    recorded = PageView.objects.count() - before
    print(f"\nPage view throughput ({REQUESTS} requests per mode, interleaved)")
    for name in names:
        per = spent[name] / REQUESTS
        print(
            f"{name:<16} {1 / per:>8.1f} req/s  {per * 1000:>7.2f} ms/req  "
            f"ratio vs off {spent[name] / spent['off']:.3f}"
        )
    assert recorded == 2 * REQUESTS

    # The receiver alone: what one recorded view costs the request.
    request = RequestFactory().get(url)
    request.user = agent
    n = 5000
    with override_settings(KB_ANALYTICS_BATCH_SIZE=200):
        t0 = time.perf_counter()
        for _ in range(n):
            on_section_viewed(
                Section,
                section=section,
                revision=section.published_revision,
                request=request,
            )
        events.flush()
        per_view = (time.perf_counter() - t0) / n
    print(f"receiver + amortized batch write: {per_view * 1e6:.0f} us per view")


def _fill(section_ids: list[int], user_ids: list[int]) -> None:
    """PAGEVIEWS page views and SEARCHES searches over DAYS days, inserted in bulk."""
    rng = random.Random(5)
    now = timezone.now()
    start = now - dt.timedelta(days=DAYS - 1)
    span = (now - start).total_seconds()
    hot = section_ids[: len(section_ids) // 10]
    revision = dict(Section.objects.values_list("pk", "published_revision_id"))
    with connection.cursor() as cursor:
        batch = []
        for i in range(PAGEVIEWS):
            section = rng.choice(hot) if rng.random() < 0.6 else rng.choice(section_ids)
            anonymous = rng.random() < 0.3
            batch.append(
                (
                    section,
                    revision[section],
                    "public" if anonymous else "internal",
                    None if anonymous else rng.choice(user_ids),
                    f"{rng.getrandbits(64):016x}" if anonymous else "",
                    start + dt.timedelta(seconds=rng.random() * span),
                )
            )
            if len(batch) == 50_000 or i == PAGEVIEWS - 1:
                cursor.executemany(
                    "INSERT INTO feedback_pageview (section_id, revision_id, audience,"
                    " user_id, visitor, created) VALUES (%s, %s, %s, %s, %s, %s)",
                    batch,
                )
                batch = []
        words = [f"查询{n}" for n in range(5000)] + [f"query{n}" for n in range(1000)]
        for i in range(SEARCHES):
            word = words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)]
            results = 0 if rng.random() < 0.12 else rng.randint(1, 40)
            clicked = results > 0 and rng.random() < 0.55
            batch.append(
                (
                    word,
                    word,
                    results,
                    "internal",
                    rng.choice(user_ids),
                    "",
                    rng.choice(section_ids) if clicked else None,
                    rng.randint(1, 10) if clicked else None,
                    1 if clicked else 0,
                    start + dt.timedelta(seconds=rng.random() * span),
                )
            )
            if len(batch) == 50_000 or i == SEARCHES - 1:
                cursor.executemany(
                    "INSERT INTO feedback_searchevent (query, normalized, results_count,"
                    " audience, user_id, visitor, clicked_section_id, clicked_rank,"
                    " clicks, created) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    batch,
                )
                batch = []


@pytest.mark.django_db(transaction=True)
def test_dashboard_speed_on_a_million_page_views(client):
    """Median response time of every dashboard page with 1,000,000 page views and
    200,000 searches in the raw tables, after `analytics_rollup`."""
    section_ids = _sections(500)
    users = [make_user("agent", username=f"a{n}") for n in range(200)]
    manager = make_user("manager", username="bench-manager")
    start = time.perf_counter()
    _fill(section_ids, [u.pk for u in users])
    fill_s = time.perf_counter() - start
    revisions = dict(Section.objects.values_list("pk", "published_revision_id"))
    rng = random.Random(7)
    pairs = {(rng.choice(section_ids), rng.choice(users).pk) for _ in range(2000)}
    ArticleFeedback.objects.bulk_create(
        ArticleFeedback(
            section_id=sid,
            revision_id=revisions[sid],
            user_id=uid,
            helpful=rng.random() < 0.7,
            reasons=",unclear," if uid % 3 else "",
            created=timezone.now() - dt.timedelta(days=rng.randint(0, 60)),
        )
        for sid, uid in pairs
    )
    for n in range(150):
        Question.objects.create(text=f"问题{n}", asked_by=users[n])
    start = time.perf_counter()
    call_command("analytics_rollup", verbosity=0)
    rollup_s = time.perf_counter() - start
    print(
        f"\nDashboard benchmark: {PageView.objects.count():,} page views, "
        f"{SearchEvent.objects.count():,} searches raw; inserted in {fill_s:.1f} s, "
        f"rolled up in {rollup_s:.1f} s"
    )
    client.force_login(manager)
    pages = [
        ("overview", "/feedback/"),
        ("inbox", "/feedback/inbox/"),
        ("gaps 30d", "/feedback/gaps/?days=30"),
        ("content 7d", "/feedback/content/?days=7"),
        ("content 30d", "/feedback/content/?days=30"),
        ("content 90d", "/feedback/content/?days=90"),
        ("section 90d", f"/feedback/content/{section_ids[10]}/?days=90"),
        ("search 30d", "/feedback/search/?days=30"),
        ("search 90d", "/feedback/search/?days=90"),
        ("csv content", "/feedback/content/?days=90&csv=most-viewed"),
    ]
    print(f"{'page':<14} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for label, url in pages:
        client.get(url)
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{label:<14} {statistics.median(samples):>10.1f} {max(samples):>8.1f} "
            f"{len(queries):>8}"
        )
