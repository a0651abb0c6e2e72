"""The demo's FAQ queue (manuals.demo.history): questions agents asked over the
last weeks, one merged as a duplicate and one rejected, so the question queue and
the knowledge-gap queue show them. Every question is asked by a demo persona."""

import datetime as dt

from manuals.demo.history import DemoHistory, Step, register

from .models import Question, QuestionStatus

# (text, details, section key or "", search query or "")
OPEN = [
    (
        "海外直邮的订单能退货吗？",
        "客户从海外仓下单，问能否走七天无理由。",
        "",
        "海外直邮",
    ),
    ("预售商品付了定金可以退吗？", "双十一预售，客户想退定金。", "", "预售定金"),
    ("学生认证优惠在哪里登记？", "", "", "学生优惠"),
    ("企业客户批量采购找谁对接？", "一次要 200 台 X2，要开专票。", "", "团购发票"),
    ("Band 5 固件升级失败怎么处理？", "升级到 80% 卡住，重启后无法开机。", "band5", ""),
    ("上门取件不支持的地区怎么办？", "客户在新疆，快递不上门。", "lost_parcel_sop", ""),
    ("差评客户要求删评怎么回复？", "", "", "差评怎么回复"),
]


def load(history: DemoHistory) -> None:
    rng = history.rng
    asked = []
    for text, details, key, query in OPEN:
        section = history.by_key.get(key) if key else None
        asked.append(
            Question(
                text=text,
                details=details,
                asked_by=rng.choice(history.agents),
                section=section,
                search_query=query,
                created=history.moment(rng.randrange(1, 21)),
            )
        )
    for question in asked:
        question.full_clean()
    Question.objects.bulk_create(asked)
    presale = Question.objects.get(text=OPEN[1][0], asked_by__in=history.agents)
    handled = history.now - dt.timedelta(days=1)
    extra = [
        Question(
            text="预售定金能不能退？",
            asked_by=rng.choice(history.agents),
            status=QuestionStatus.MERGED,
            duplicate_of=presale,
            handled_by=history.manager,
            handled_at=handled,
            created=history.moment(3),
        ),
        Question(
            text="食堂几点开饭？",
            asked_by=rng.choice(history.agents),
            status=QuestionStatus.REJECTED,
            reject_reason="与客户服务无关，请咨询行政部。",
            handled_by=history.manager,
            handled_at=handled,
            created=history.moment(5),
        ),
    ]
    Question.objects.bulk_create(extra)
    history.write(f"history: {len(asked) + len(extra)} questions in the FAQ queue")


def remove(people) -> None:
    Question.objects.filter(asked_by__in=people).delete()


register(Step(name="faq", load=load, remove=remove))
