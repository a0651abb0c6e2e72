"""The query language, and malformed input that must never error."""

import pytest
from django.urls import reverse

from manuals.search.query import parse_query

KINDS = frozenset({"policy", "sop"})


def test_syntax_is_taken_apart():
    """Phrases, exclusions and filters each land in their place."""
    p = parse_query(
        '退款 "original payment" -信用卡 kind:policy tag:退款 in:客服手册', kinds=KINDS
    )
    assert p.terms == ["退款"]
    assert p.phrases == ["original payment"]
    assert p.excluded == ["信用卡"]
    assert (p.kinds, p.tags, p.manuals) == (["policy"], ["退款"], ["客服手册"])


def test_unknown_kind_is_plain_text():
    """kind:banana is not a filter; it is searched as words."""
    p = parse_query("kind:banana", kinds=KINDS)
    assert not p.kinds and p.terms == ["kind", "banana"]


def test_normalized_query_folds_script_case_and_order():
    """Analytics group 退貨 KIND:policy and kind:policy 退货 together."""
    a = parse_query("退貨  Refund kind:policy", kinds=KINDS).normalized
    b = parse_query("退货 refund  kind:policy", kinds=KINDS).normalized
    assert a == b == "退货 refund kind:policy"


def test_full_width_quotes_and_colon():
    """“退货流程” and kind：policy typed with a Chinese IME work."""
    p = parse_query("“退货流程” kind：policy", kinds=KINDS)
    assert p.phrases == ["退货流程"] and p.kinds == ["policy"]


MALFORMED = [
    '"退货流程',
    '退货"',
    '"""',
    "- - -",
    "-",
    '"-"',
    "kind:",
    ":",
    "tag:",
    "in:",
    "!!!???。。。",
    "()[]{}<>",
    "AND OR NOT",
    "*",
    "退货*?",
    "refund~2",
    "title:退货",
    "<script>alert(1)</script>",
    "退" * 5000,
    "refund " * 300,
    "\x00\x01",
    "%",
    "\\",
]


@pytest.mark.parametrize("q", MALFORMED)
def test_malformed_input_parses(q):
    """Nothing raises; unbalanced quotes and lone operators become plain words."""
    p = parse_query(q, kinds=KINDS)
    assert len(p.terms) + len(p.phrases) + len(p.excluded) <= 24


def test_unbalanced_quote_falls_back_to_words():
    assert parse_query('"退货流程', kinds=KINDS).terms == ["退货流程"]


@pytest.mark.parametrize("q", MALFORMED)
def test_malformed_input_renders_a_page(agent_client, q, search_index):
    """The results page answers 200 (never a 500) for anything typed."""
    response = agent_client.get(reverse("search:results"), {"q": q, "page": "x"})
    assert response.status_code == 200
    assert b"Traceback" not in response.content
    response = agent_client.get(reverse("search:suggest"), {"q": q})
    assert response.status_code == 200
