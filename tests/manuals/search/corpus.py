"""A small fixed corpus for ranking and matching tests, built through the services."""

from datetime import timedelta

from django.utils import timezone

from manuals.models import Kind, Section, Visibility
from manuals.search.outbox import enqueue
from tests.factories import make_section

CORPUS = [
    # key, parent key, title, body, kind, visibility, tags
    ("manual", None, "客服手册", "手册总览。", Kind.MANUAL, Visibility.INTERNAL, ()),
    (
        "returns",
        "manual",
        "退货流程",
        "收到申请后核实订单。",
        Kind.SOP,
        Visibility.INTERNAL,
        ("退货",),
    ),
    (
        "aftersales",
        "manual",
        "售后说明",
        "售后包括维修。退货需要审批，流程较长。退货的流程在另一节。",
        Kind.ARTICLE,
        Visibility.INTERNAL,
        (),
    ),
    (
        "phrase",
        "manual",
        "政策甲",
        "本节规定退货流程必须先核实订单。",
        Kind.POLICY,
        Visibility.INTERNAL,
        ("退款",),
    ),
    (
        "scattered",
        "manual",
        "政策乙",
        "流程说明很长很长，最后才提到退货，以及其他很多很多内容。",
        Kind.POLICY,
        Visibility.INTERNAL,
        (),
    ),
    (
        "old",
        "manual",
        "保修条款",
        "保修期内免费维修。",
        Kind.POLICY,
        Visibility.INTERNAL,
        (),
    ),
    (
        "new",
        "manual",
        "保修条款",
        "保修期内免费维修。",
        Kind.POLICY,
        Visibility.INTERNAL,
        (),
    ),
    (
        "service",
        "manual",
        "客户服务升级流程",
        "一线无法解决时按升级流程处理。",
        Kind.ESCALATION,
        Visibility.INTERNAL,
        (),
    ),
    (
        "english",
        "manual",
        "Refund policy",
        "Customers are refunded within 7 days. Refunds go back to the original payment.",
        Kind.POLICY,
        Visibility.INTERNAL,
        ("refund",),
    ),
    ("help", None, "帮助中心", "公开的帮助。", Kind.MANUAL, Visibility.PUBLIC, ()),
    (
        "public_returns",
        "help",
        "如何申请退货",
        "在订单页面点击申请退货。",
        Kind.ARTICLE,
        Visibility.PUBLIC,
        ("退货",),
    ),
]


def build_corpus(user) -> dict[str, Section]:
    from manuals.sections import services

    sections: dict[str, Section] = {}
    for key, parent, title, body, kind, visibility, tags in CORPUS:
        section = make_section(
            sections.get(parent) if parent else None,
            title=title,
            body=body,
            kind=kind,
            visibility=visibility,
            user=user,
        )
        if tags:
            section = services.section_update_settings(
                section=section,
                user=user,
                kind=kind,
                visibility=visibility,
                tags=list(tags),
            )
        sections[key] = section
    now = timezone.now()
    Section.objects.filter(pk=sections["old"].pk).update(
        published_at=now - timedelta(days=300)
    )
    Section.objects.filter(pk=sections["new"].pk).update(
        published_at=now - timedelta(days=1)
    )
    enqueue(doc_type="section", object_ids=[sections["old"].pk, sections["new"].pk])
    return sections
