"""The demo's analytics and survey answers (manuals.demo.history): page views,
searches (some with no result, some never clicked), answers with comments, a little
triage, rolled up so the dashboard, the gap queue and the inbox have something to
show on a fresh `make run`. Every row is by a demo persona or a demo- visitor."""

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from manuals.demo.history import VISITOR_PREFIX, DemoHistory, Step, register
from manuals.notifications.models import Kind
from manuals.notifications.services import notify
from manuals.search.analysis import normalize_query

from .models import (
    ArticleFeedback,
    Audience,
    DailySearchStats,
    DailySectionStats,
    Gap,
    GapKind,
    PageView,
    SearchEvent,
    Status,
)
from .permissions import can_triage
from .services import analytics_rollup

VISITORS = 150  # anonymous help-centre visitors
STAFF_VIEWS = 48  # page views by agents on a plain weekday
PUBLIC_VIEWS = 16  # help-centre views by visitors on a plain weekday
SEARCHES = 24  # searches on a plain weekday

# (query, results, section key clicked or None, share of searches clicked, public)
QUERIES = [
    ("退款多久到账", 6, "refund_timing", 0.8, False),
    ("七天无理由退货", 5, "seven_day_returns", 0.75, False),
    ("保修期", 7, "warranty_policy", 0.7, False),
    ("人为损坏", 3, "warranty_exclusions", 0.6, False),
    ("补开发票", 4, "invoice_policy", 0.7, False),
    ("快递丢了", 3, "lost_parcel_sop", 0.8, False),
    ("账号被盗", 4, "account_security_sop", 0.75, False),
    ("愤怒客户", 5, "scenario_angry", 0.6, False),
    ("升级时限", 9, "escalation_matrix", 0.7, False),
    ("禁用语", 2, "language_guidelines", 0.65, False),
    ("积分抵扣", 5, "member_points", 0.6, False),
    ("Buds Pro 2 配对", 3, "buds_pro2", 0.55, False),
    ("价格保护", 3, "coupon_price_protection", 0.7, False),
    ("工单关闭", 6, "ticket_sop", 0.6, False),
    ("VIP 权益", 4, "membership_tiers", 0.5, False),
    ("回复模板", 3, "reply_templates", 0.8, False),
    ("退货", 6, "hc_returns", 0.6, True),
    ("物流查询", 4, "hc_track_order", 0.65, True),
    ("分期付款", 2, "hc_payment", 0.5, True),
    ("找回密码", 3, "hc_account_security", 0.7, True),
    # found something, but nobody followed a result: a gap of its own
    ("差评怎么回复", 3, None, 0.0, False),
    ("延保", 2, None, 0.0, False),
    ("赠品漏发", 3, None, 0.0, True),
    # nothing found
    ("海外直邮", 0, None, 0.0, False),
    ("预售定金", 0, None, 0.0, False),
    ("学生优惠", 0, None, 0.0, True),
    ("团购发票", 0, None, 0.0, False),
    ("刷机", 0, None, 0.0, False),
    ("售后网点", 0, None, 0.0, True),
]

# (section key, helpful, reasons, comment): answers with something to say
COMMENTED = [
    (
        "coupon_price_protection",
        False,
        ["outdated"],
        "价格保护期现在是 15 天，这里还写着 7 天。",
    ),
    ("coupon_price_protection", False, ["outdated"], "618 的保价规则改过了，请更新。"),
    (
        "coupon_price_protection",
        False,
        ["outdated", "wrong"],
        "保价差额现在退到余额，不是原路退回。",
    ),
    ("return_sop", False, ["outdated"], "退货地址已经换成杭州仓了，文档里还是旧地址。"),
    ("return_sop", False, ["unclear"], "第 3 步和第 4 步的顺序看不懂，能配个截图吗？"),
    ("member_points", False, ["outdated"], "积分抵扣比例上个月调整过。"),
    ("member_points", False, ["incomplete"], "没写积分过期前会不会提醒客户。"),
    ("shipping_logistics", False, ["outdated"], "顺丰的时效表是去年的。"),
    ("shipping_logistics", False, ["incomplete"], "缺少偏远地区的配送说明。"),
    ("hk_tw_customers", False, ["incomplete"], "没有写澳门地区的保修怎么处理。"),
    ("contact_list", False, ["wrong"], "技术支持组的分机号打不通，是不是换了？"),
    (
        "escalation_matrix",
        False,
        ["unclear"],
        "P2 和 P3 的区别不太好判断，能举个例子吗？",
    ),
    ("hc_returns", False, ["incomplete"], "没说退货运费谁出。"),
    ("hc_invoice", False, ["unclear"], "电子发票在哪里下载没找到。"),
    ("hc_contact", False, ["other"], "希望增加微信客服入口。"),
    ("scenario_angry", True, [], "话术很实用，今天就用上了。"),
    ("escalation_matrix", True, [], "表格很清楚，谢谢！"),
    ("refund_timing", True, [], "终于弄明白原路退回要几天了。"),
    ("hc_track_order", True, [], "按步骤查到了，很方便。"),
]


def _weights(history: DemoHistory) -> list[tuple]:
    """(section, weight) in a fixed, plausible popularity: a few pages read a lot,
    most now and then; policies and scripts agents need on calls first."""
    favourites = {
        "refund_timing": 6,
        "return_policy": 4,
        "seven_day_returns": 4,
        "escalation_matrix": 5,
        "scenario_angry": 3,
        "reply_templates": 4,
        "warranty_policy": 3,
        "hc_returns": 5,
        "hc_track_order": 4,
    }
    ordered = list(history.sections)
    history.rng.shuffle(ordered)
    keys = {s.pk: k for k, s in history.by_key.items()}
    return [
        (s, favourites.get(keys.get(s.pk), 0) + 1 / (rank + 1) ** 0.8)
        for rank, s in enumerate(ordered)
    ]


def _page_views(history: DemoHistory) -> int:
    rng = history.rng
    staff = _weights(history)
    public = [(s, w) for s, w in staff if history.is_public(s)]
    rows = []
    for days_ago in range(history.days - 1, -1, -1):
        busy = history.busy(days_ago)
        for sections, n, audience in (
            (staff, STAFF_VIEWS, Audience.INTERNAL),
            (public, PUBLIC_VIEWS, Audience.PUBLIC),
        ):
            if not sections:
                continue
            picked = rng.choices(
                [s for s, _w in sections],
                weights=[w for _s, w in sections],
                k=round(n * busy),
            )
            for section in picked:
                reader = (
                    {"user": rng.choice(history.agents)}
                    if audience == Audience.INTERNAL
                    else {"visitor": history.visitor(rng.randrange(VISITORS))}
                )
                rows.append(
                    PageView(
                        section=section,
                        revision=section.published_revision,
                        audience=audience,
                        created=history.moment(days_ago),
                        **reader,
                    )
                )
    PageView.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _searches(history: DemoHistory) -> int:
    rng = history.rng
    weights = [1 / (i + 1) ** 0.5 for i in range(len(QUERIES))]
    rows = []
    for days_ago in range(history.days - 1, -1, -1):
        for query, results, key, clicked, public in rng.choices(
            QUERIES, weights=weights, k=round(SEARCHES * history.busy(days_ago))
        ):
            section = history.by_key.get(key) if key else None
            hit = section is not None and rng.random() < clicked
            if public:
                reader = {"visitor": history.visitor(rng.randrange(VISITORS))}
            else:
                reader = {"user": rng.choice(history.agents)}
            rows.append(
                SearchEvent(
                    query=query,
                    normalized=normalize_query(query),
                    results_count=results,
                    audience=Audience.PUBLIC if public else Audience.INTERNAL,
                    clicked_section=section if hit else None,
                    clicked_rank=rng.choice((1, 1, 1, 2, 3)) if hit else None,
                    clicks=1 if hit else 0,
                    created=history.moment(days_ago),
                    **reader,
                )
            )
    SearchEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _answers(history: DemoHistory) -> int:
    """Survey answers: mostly helpful, the commented ones above in the last weeks
    (so the inbox and the "not helpful" gaps show them), a few already triaged."""
    rng = history.rng
    taken: set[tuple] = set()
    rows = []

    def answer(section, *, helpful, reasons=(), comment="", days_ago):
        public = history.is_public(section)
        for _try in range(20):
            if public:
                reader = {"visitor": history.visitor(rng.randrange(VISITORS))}
            else:
                reader = {"user": rng.choice(history.agents)}
            mark = (section.published_revision_id, *reader.values())
            if mark not in taken:
                break
        else:
            return
        taken.add(mark)
        when = history.moment(days_ago)
        rows.append(
            ArticleFeedback(
                section=section,
                revision=section.published_revision,
                audience=Audience.PUBLIC if public else Audience.INTERNAL,
                helpful=helpful,
                rating=rng.choice((4, 5, 5)) if helpful else rng.choice((1, 2, 2, 3)),
                reasons=ArticleFeedback.join_reasons(reasons),
                comment=comment,
                created=when,
                updated=when,
                **reader,
            )
        )

    weights = _weights(history)
    for days_ago in range(history.days - 1, -1, -1):
        n = rng.choices((0, 1, 2, 3), weights=(2, 4, 3, 1))[0]
        for section, _w in rng.choices(weights, weights=[w for _s, w in weights], k=n):
            answer(section, helpful=rng.random() < 0.82, days_ago=days_ago)
    for key, helpful, reasons, comment in COMMENTED:
        section = history.by_key.get(key)
        if section is not None:
            answer(
                section,
                helpful=helpful,
                reasons=reasons,
                comment=comment,
                days_ago=rng.randrange(1, 25),
            )
    ArticleFeedback.objects.bulk_create(rows, batch_size=500)
    _triage(history)
    return len(rows)


def _triage(history: DemoHistory) -> None:
    """The demo manager has started on the inbox and the gap queue, and handed one
    answer to a real account that triages (told by a notification)."""
    commented = list(
        ArticleFeedback.objects.filter(helpful=False)
        .exclude(comment="")
        .filter(Q(user__in=history.agents) | Q(visitor__startswith=VISITOR_PREFIX))
        .select_related("section")
        .order_by("created", "pk")
    )
    one_per_section = list({item.section_id: item for item in commented}.values())
    now = timezone.now()
    for item in one_per_section[:2]:
        item.status, item.assignee = Status.IN_PROGRESS, history.manager
        item.save(update_fields=["status", "assignee"])
    for item in one_per_section[2:3]:
        item.status = Status.RESOLVED
        item.resolved_by = history.manager
        item.resolved_revision_id = item.section.published_revision_id
        item.resolved_at = now - dt.timedelta(days=1)
        item.note = "已核实并更新。"
        item.save(
            update_fields=[
                "status",
                "resolved_by",
                "resolved_revision",
                "resolved_at",
                "note",
            ]
        )
    Gap.objects.get_or_create(
        kind=GapKind.ZERO_RESULTS,
        key=normalize_query("海外直邮"),
        defaults={"status": Status.IN_PROGRESS, "assignee": history.manager},
    )
    triager = next((u for u in history.recipients if can_triage(u)), None)
    for item in one_per_section[3:4] if triager is not None else ():
        item.status, item.assignee = Status.IN_PROGRESS, triager
        item.save(update_fields=["status", "assignee"])
        sent = notify(
            recipients=[triager],
            kind=Kind.FEEDBACK_ASSIGNED,
            subject=item,
            text=item.section.title,
            url=reverse("feedback:detail", kwargs={"pk": item.pk}),
            actor=history.manager,
        )
        history.backdate(sent, days_ago=1, read=False)
        history.write(f"history: feedback assigned to {triager.get_username()}")


def load(history: DemoHistory) -> None:
    history.write(f"history: {_page_views(history)} page views")
    history.write(f"history: {_searches(history)} searches")
    history.write(f"history: {_answers(history)} survey answers")
    days = analytics_rollup(full=True)
    history.write(f"history: {len(days)} days rolled up")


def remove(people) -> None:
    """Delete the demo's events and answers, and the daily rows of the days they
    were on (rebuilt from whatever raw events remain)."""
    demo = Q(user__in=people) | Q(visitor__startswith=VISITOR_PREFIX)
    days = set()
    for model in (PageView, SearchEvent):
        events = model.objects.filter(demo)
        first = events.order_by("created").values_list("created", flat=True).first()
        if first is not None:
            days.add(timezone.localtime(first).date())
        events.delete()
    ArticleFeedback.objects.filter(demo).delete()
    Gap.objects.filter(Q(assignee__in=people) | Q(resolved_by__in=people)).delete()
    if days:
        since = min(days)
        DailySectionStats.objects.filter(day__gte=since).delete()
        DailySearchStats.objects.filter(day__gte=since).delete()
        analytics_rollup(full=True)


register(Step(name="feedback", load=load, remove=remove))
