"""Guard for the whoosh internals the backend relies on (postings.py, writer.py).

A small index of mixed Simplified/Traditional Chinese and English documents is built
through the backend, and a fixed query set must give the same hits, in the same order,
with the same scores, totals, facets and mode as a brute-force reference written here:
each document tokenized with manuals/search/analysis.py (bigrams of Chinese runs plus
the last character, stemmed English words), matching per the query language, and
BM25F (idf, field lengths rounded up to whoosh's length byte) summed in plain Python
with the backend's parameters. The exact-phrase check on stored text and the
query-side rule of which phrases earn a bonus involve no whoosh and are reused.

When whoosh's postings, lengths, statistics, lexicon or merges change underneath, this
fails with "whoosh behaviour changed underneath". Upgrading whoosh: change the pin in
pyproject.toml and run this module; it must pass before the backend is trusted.
"""

import math
import tomllib
from bisect import bisect_left
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path

import pytest

from manuals.search.analysis import (
    STOP_WORDS,
    cjk_chunks,
    query_words,
    runs,
    stem_word,
    to_simplified,
)
from manuals.search.backends.base import Audience, SearchRequest
from manuals.search.backends.whoosh import WhooshSearchBackend, postings
from manuals.search.backends.whoosh.phrases import Phrase, StoredDoc
from manuals.search.backends.whoosh.plan import MAX_EXPANSIONS, TITLE_BOOST, boosters
from manuals.search.backends.whoosh.query import BM25_B, BM25_K1, PHRASE_BOOST
from manuals.search.query import parse_query
from manuals.search.registry import OPEN, PUBLIC, STAFF, SearchDocument, Variant

SEARCH_BACKENDS = ("whoosh",)
PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"
KINDS = frozenset({"policy", "sop", "faq", "script", "article"})
CHANGED = "whoosh behaviour changed underneath"

# whoosh's field-length byte: lengths rounded up to round((1.033**n - 1) * 27).
LENGTH_TABLE = [int(round((1.033**n - 1) * 27)) for n in range(256)]

# -- the corpus --------------------------------------------------------------------

BOTH = frozenset({PUBLIC, STAFF})
T0 = datetime(2025, 1, 1, tzinfo=UTC)

# (title, body, kind, manual, tags, visibility): visibility is "public", "internal",
# "split" (a public body before "||", a staff body after), or "g1", "g2", "g-"
# (restricted to group 1, group 2, no group).
# fmt: off
TEXTS = [
    ("退货流程", "收到退货申请后核实订单，确认商品完好。", "sop", "1", ("退货",), "public"),
    ("退貨政策", "七天內無理由退貨，退款原路返回。", "policy", "1", ("退货", "退款"), "public"),
    ("售后说明", "售后包括维修。退货需要审批，流程较长。退货的流程在另一节。", "article", "1", (), "internal"),
    ("政策甲", "本节规定退货流程必须先核实订单。", "policy", "1", ("退款",), "internal"),
    ("政策乙", "流程说明很长很长，最后才提到退货，以及其他很多很多内容和例外情况。", "policy", "1", (), "internal"),
    ("保修条款", "保修期内免费维修，人为损坏不在保修范围。", "policy", "2", ("保修",), "public"),
    ("延长保修", "购买延长保修服务后，保修期延长一年。", "policy", "2", ("保修",), "public"),
    ("保修申请步骤", "登记序列号，上传购买凭证，等待审核。", "sop", "2", ("保修",), "internal"),
    ("客户服务升级流程", "一线客服无法解决时，升级给主管。客户服务的时效要求见附录。", "sop", "1", ("升级",), "internal"),
    ("客户投诉处理", "先安抚客户情绪，再记录投诉原因，二十四小时内回访。", "script", "1", (), "internal"),
    ("服务承诺", "我们承诺七乘二十四小时在线服务。", "article", "1", (), "public"),
    ("客户隐私", "不得向第三方透露客户信息。|| 内部：导出客户数据须经主管审批。", "policy", "1", (), "split"),
    ("Refund policy", "Refunds are issued to the original payment method. A refunded order cannot be refunded twice.", "policy", "2", ("refund",), "public"),
    ("Return shipping", "Customers pay return shipping unless the item arrived damaged. Refund after inspection.", "policy", "2", (), "public"),
    ("Escalation matrix", "Escalate to a supervisor after two failed attempts; refunds above 500 need approval.", "sop", "2", ("升级",), "internal"),
    ("Greeting script", "Hello, thank you for calling customer service. How may I help you today?", "script", "1", (), "public"),
    ("VIP 会员权益", "VIP 会员享受优先客服和免费退货。", "article", "2", ("会员",), "public"),
    ("會員積分兌換", "會員積分可兌換優惠券，積分一年有效。", "faq", "", ("会员",), "public"),
    ("会员积分规则", "每消费一元累积一分积分，积分可抵扣现金。", "policy", "2", ("会员",), "internal"),
    ("账号密码重置", "通过短信验证码重置密码，客服不得索要密码。", "sop", "1", ("账号",), "g1"),
    ("管理员密码保管", "系统管理员密码每季度更换，保存在密码柜中。", "policy", "1", ("账号",), "g2"),
    ("财务审批流程", "退款超过五百元需要财务主管审批。", "sop", "1", ("退款",), "g-"),
    ("发票开具", "电子发票在订单完成后七天内开具，可开增值税专用发票。", "sop", "2", ("发票",), "public"),
    ("發票更換", "發票抬頭錯誤可以申請更換一次。", "faq", "", ("发票",), "public"),
    ("物流延误", "物流延误超过三天，主动联系客户并补偿优惠券。", "script", "1", (), "internal"),
    ("快递破损", "快递破损请客户拍照，提交破损登记后补发。|| 内部：破损超过三次升级到物流主管。", "sop", "1", (), "split"),
    ("订单取消", "未发货的订单可以直接取消，已发货的订单需拦截快递。", "faq", "", (), "public"),
    ("換貨流程", "換貨需寄回原商品，檢測通過後寄出新品。", "sop", "1", ("换货",), "public"),
    ("价格保护", "购买后七天内降价，可申请价格保护退还差价。", "policy", "2", (), "public"),
    ("Warranty claims", "Warranty claims need the serial number and proof of purchase. Warranties cover manufacturing defects only.", "policy", "2", ("保修",), "public"),
    ("Customer service hours", "Our customer service team is online from 9 to 21, hotline 400 800 1234.", "article", "1", (), "public"),
    ("热线电话", "客服热线 400 800 1234，工作时间九点到二十一点。", "article", "1", (), "public"),
    ("电话话术", "您好，这里是客户服务中心，请问有什么可以帮您？", "script", "1", (), "internal"),
    ("退款时效", "退款在审核通过后三到五个工作日到账。", "policy", "1", ("退款",), "public"),
    ("退款失败处理", "退款失败时核实银行卡状态，重新发起退款。", "sop", "1", ("退款",), "internal"),
    ("質量問題處理", "質量問題可以選擇退貨、換貨或維修。", "policy", "2", (), "public"),
    ("优惠券使用", "优惠券不可叠加使用，过期作废。", "faq", "", (), "public"),
    ("签收须知", "签收前请当面检查包装，破损可以拒收。", "faq", "", (), "public"),
    ("门店自提", "门店自提订单保留七天，逾期自动取消。", "faq", "", (), "internal"),
    ("数据安全", "客户数据只能在内部系统处理，禁止外传。", "policy", "1", ("账号",), "g1"),
    ("回访规范", "投诉处理完毕后三天内回访客户，记录满意度。", "sop", "1", (), "internal"),
    ("在线聊天话术", "在线聊天回复不超过三十秒，使用标准话术。", "script", "1", (), "public"),
]
# fmt: on


def _document(n: int, title, body, kind, manual, tags, visibility):
    if visibility == "split":
        public_body, staff_body = (part.strip() for part in body.split("||"))
        variants = (
            Variant(frozenset({PUBLIC}), title, public_body),
            Variant(frozenset({STAFF}), title, public_body + staff_body),
        )
    elif visibility == "public":
        variants = (Variant(BOTH, title, body),)
    else:
        variants = (Variant(frozenset({STAFF}), title, body),)
    groups = {"g1": (1,), "g2": (2,), "g-": ()}
    return SearchDocument(
        doc_type="faq" if kind == "faq" else "section",
        object_id=n,
        variants=variants,
        kind=kind,
        manual=manual,
        tags=tags,
        restricted=visibility in groups,
        group_ids=groups.get(visibility, ()),
        updated=T0 + timedelta(hours=n),
        url=f"/s/{n}/",
    )


DOCUMENTS = [_document(n, *row) for n, row in enumerate(TEXTS, start=1)]

# Edits for the incremental scenario: new texts for some documents, some deleted.
EDITED = {
    2: ("退貨政策", "七天內無理由退貨，退款原路返回。運費由客戶承擔。"),
    9: ("客户服务升级流程", "一线客服无法解决时，升级给主管，主管再升级给经理。"),
    13: ("Refund policy", "Refunds go to the original payment method within a week."),
}
DELETED = {4, 22, 31}

# -- the query set -----------------------------------------------------------------

ANYONE = Audience(level=PUBLIC)
AGENT = Audience(level=STAFF)
GROUP1 = Audience(level=STAFF, group_ids=frozenset({1}))
ADMIN = Audience(level="all")

# (query, audience, request filters, expectation): expectation "hits", "none" (the
# reference must find nothing either) or "any" (falls back to any word).
QUERIES = [
    ("退货", AGENT, {}, "hits"),
    ("退货", ANYONE, {}, "hits"),
    ("退貨", AGENT, {}, "hits"),  # Traditional query, Simplified text
    ("会员积分", ANYONE, {}, "hits"),  # Simplified query, Traditional text
    ("货流", AGENT, {}, "hits"),  # fragments inside words
    ("户服", ADMIN, {}, "hits"),
    ("退", AGENT, {}, "hits"),  # one character: by prefix
    ("退货流程", AGENT, {}, "hits"),
    ("客户 服务", AGENT, {}, "hits"),
    ("服务", ANYONE, {}, "hits"),
    ("refund", AGENT, {}, "hits"),  # English stems
    ("refunds", ANYONE, {}, "hits"),
    ("Refunded", ADMIN, {}, "hits"),
    ("the warranties", AGENT, {}, "hits"),  # a stop word
    ("refu", AGENT, {}, "hits"),  # a word being typed
    ("refnd", AGENT, {}, "hits"),  # a typo
    ("customer service", ANYONE, {}, "hits"),
    ("VIP 会员", AGENT, {}, "hits"),  # mixed
    ("400", AGENT, {}, "hits"),  # a number
    ('"退货流程"', AGENT, {}, "hits"),  # phrases
    ('"original payment"', ADMIN, {}, "hits"),
    ('"payment original"', ADMIN, {}, "none"),
    ('"customer service" hotline', ANYONE, {}, "hits"),
    ("退货 -审批", AGENT, {}, "hits"),  # exclusions
    ('保修 -"延长保修"', ANYONE, {}, "hits"),
    ("refund -shipping", AGENT, {}, "hits"),
    ("kind:policy", AGENT, {}, "hits"),  # filters
    ("退款 kind:policy", AGENT, {}, "hits"),
    ("退款", AGENT, {"tags": ["退款"]}, "hits"),
    ("订单", AGENT, {"kinds": ["faq", "sop"]}, "hits"),
    ("客户", AGENT, {"manuals": ["1"]}, "hits"),
    ("保修", ADMIN, {"manuals": ["2"], "tags": ["保修"]}, "hits"),
    ("密码", ANYONE, {}, "none"),  # audiences
    ("密码", AGENT, {}, "none"),
    ("密码", GROUP1, {}, "hits"),
    ("密码", ADMIN, {}, "hits"),
    ("审批", GROUP1, {}, "hits"),
    ("主管审批", ANYONE, {}, "none"),  # only in a staff variant
    ("主管审批", AGENT, {}, "hits"),
    ("发票 密码", AGENT, {}, "any"),  # no document has both
    ("保修 refund", ANYONE, {}, "any"),
]

# -- the reference -----------------------------------------------------------------


def _quantized(length: int) -> int:
    """The length whoosh's length byte stands for (rounded up)."""
    return LENGTH_TABLE[min(255, bisect_left(LENGTH_TABLE, length))]


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _stems(text: str) -> list[str]:
    return [
        stem_word(run.lower())
        for kind, run, _s in runs(text)
        if kind == "en" and run.lower() not in STOP_WORDS
    ]


def _grams(text: str) -> list[str]:
    out = []
    for kind, run, _s in runs(text):
        if kind == "cjk":
            out += [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]
    return out


class RefDoc:
    """One whoosh document (a variant), tokenized by the reference."""

    def __init__(self, document: SearchDocument, variant: Variant):
        self.key = document.key
        self.title = variant.title
        self.audiences = variant.audiences
        if document.restricted:
            self.allowed = {f"g{g}" for g in document.group_ids} or {"nobody"}
        else:
            self.allowed = {OPEN}
        self.kind = document.kind or "-"
        self.manual = document.manual or "-"
        self.tags = set(document.tags)
        self.updated = int(document.updated.timestamp())
        self.stored = StoredDoc({"title": variant.title, "body": variant.body})
        title, body = to_simplified(variant.title), to_simplified(variant.body)
        self.terms = {
            "title": Counter(_stems(title)),
            "body": Counter(_stems(body)),
            "title_ng": Counter(_grams(title)),
            "body_ng": Counter(_grams(body)),
        }
        self.lengths = {f: sum(c.values()) for f, c in self.terms.items()}

    def readable_by(self, audience: Audience) -> bool:
        if audience.level == PUBLIC:
            return PUBLIC in self.audiences
        if audience.level == STAFF:
            groups = {f"g{g}" for g in audience.group_ids}
            return STAFF in self.audiences and bool(self.allowed & (groups | {OPEN}))
        return STAFF in self.audiences


class Reference:
    """Brute-force search over RefDocs with the backend's rules and parameters.

    `merged`: every document was copied by a merge (optimize), which stores field
    lengths as whoosh's rounded length, so the average lengths are sums of those.
    """

    def __init__(self, documents, *, merged: bool = False):
        self.docs = [RefDoc(d, v) for d in documents for v in d.variants]
        self.n = len(self.docs)
        self.df = {f: Counter() for f in ("title", "body", "title_ng", "body_ng")}
        totals = Counter()
        for doc in self.docs:
            for field, counts in doc.terms.items():
                self.df[field].update(counts.keys())
                length = doc.lengths[field]
                totals[field] += _quantized(length) if merged else length
        self.avg = {f: totals[f] / self.n for f in self.df}
        self.lexicon = {f: sorted(df) for f, df in self.df.items()}

    # matching: a node is a predicate on RefDoc; leaves collect (field, term) -> boost

    def _either(self, leaves, suffix, term, boost=1.0):
        if leaves is not None:
            for field, b in (
                ("title" + suffix, TITLE_BOOST * boost),
                ("body" + suffix, boost),
            ):
                leaves[(field, term)] = max(leaves.get((field, term), 0.0), b)
        return lambda d: (
            term in d.terms["title" + suffix] or term in d.terms["body" + suffix]
        )

    def _expand(self, leaves, pairs):
        """Any of (field, term, boost) `pairs`."""
        if leaves is not None:
            for field, term, boost in pairs:
                leaves[(field, term)] = max(leaves.get((field, term), 0.0), boost)
        return lambda d: any(t in d.terms[f] for f, t, _b in pairs)

    def _cjk(self, leaves, run):
        if len(run) == 1:
            pairs = []
            for field, boost in (("title_ng", TITLE_BOOST), ("body_ng", 1.0)):
                found = [t for t in self.lexicon[field] if t.startswith(run)]
                pairs += [(field, t, boost) for t in found[:MAX_EXPANSIONS]]
            return self._expand(leaves, pairs)
        grams = list(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
        nodes = [self._either(leaves, "_ng", g) for g in grams]
        return lambda d: all(node(d) for node in nodes)

    def _english(self, leaves, word, exact=False):
        low = word.lower()
        if low in STOP_WORDS:
            return None
        term = stem_word(low)
        known = self.df["title"][term] or self.df["body"][term]
        if known or exact or not low.isalpha() or len(low) < 3:
            return self._either(leaves, "", term)
        maxdist = 1 if len(low) <= 5 else 2
        pairs = []
        for field, boost in (("title", TITLE_BOOST), ("body", 1.0)):
            prefixed = [t for t in self.lexicon[field] if t.startswith(low)]
            fuzzy = [
                t
                for t in self.lexicon[field]
                if t[:1] == term[:1] and _levenshtein(t, term) <= maxdist
            ]
            pairs += [(field, t, 0.8 * boost) for t in prefixed[:MAX_EXPANSIONS]]
            pairs += [(field, t, 0.6 * boost) for t in fuzzy[:MAX_EXPANSIONS]]
        return self._expand(leaves, pairs)

    def _units(self, leaves, text, exact=False):
        units = []
        for kind, run, _s in runs(to_simplified(text)):
            if kind == "cjk":
                units += [
                    self._cjk(leaves, c) for c in ([run] if exact else cjk_chunks(run))
                ]
            else:
                units.append(self._english(leaves, run, exact))
        return [u for u in units if u is not None]

    def _phrase(self, leaves, text):
        folded = to_simplified(text)
        parts = list(runs(folded))
        if not parts:
            return None
        if all(kind == "cjk" for kind, _r, _s in parts):
            checks = [_found(Phrase(run)) for _k, run, _s in parts if len(run) >= 3]
            return _all([self._cjk(leaves, run) for _k, run, _s in parts] + checks)
        words = query_words(folded)
        if not words:
            return None
        candidates = _all(self._units(leaves, folded, exact=True))
        if candidates is None or len(words) == 1:
            return candidates
        return _all([candidates, _found(Phrase(folded))])

    def _query(self, parsed, mode):
        leaves = {}
        positive = [u for t in parsed.terms for u in self._units(leaves, t)]
        positive += [p for p in (self._phrase(leaves, p) for p in parsed.phrases) if p]
        if positive:
            main = _all(positive) if mode == "all" else _any(positive)
        elif parsed.has_text or not parsed.has_filters:
            return leaves, None
        else:
            main = lambda d: True  # noqa: E731 - filters only
        excluded = _any(
            [x for x in (self._phrase(None, e) for e in parsed.excluded) if x]
        )
        if excluded is None:
            return leaves, main
        return leaves, lambda d: main(d) and not excluded(d)

    def _filtered(self, request):
        kinds = set(request.parsed.kinds) | set(request.kinds)
        return [
            d
            for d in self.docs
            if d.readable_by(request.audience)
            and (not kinds or d.kind in kinds)
            and (not request.manuals or d.manual in request.manuals)
            and set(request.tags) <= d.tags
        ]

    def _idf(self, df):
        return math.log(self.n / (df + 1)) + 1

    def _bm25(self, doc, leaves):
        score = 0.0
        for (field, term), boost in leaves.items():
            df = self.df[field][term]
            tf = doc.terms[field][term]
            if not df or not tf:
                continue
            length = _quantized(doc.lengths[field])
            avg = self.avg[field] or 1.0
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / avg)
            score += boost * self._idf(df) * (BM25_K1 + 1) * tf / (tf + norm)
        return score

    def _bonus(self, doc, request):
        bonus = 0.0
        for phrase in boosters(request):
            weight = 0.0
            for kind, token in phrase.tokens:
                if kind == "cjk":
                    grams = [token[i : i + 2] for i in range(len(token) - 1)] or [token]
                    weight += sum(
                        self._idf(self.df["body_ng"][g]) for g in dict.fromkeys(grams)
                    )
                elif token:
                    weight += self._idf(self.df["body"][token])
            in_title, in_body = phrase.where(doc.stored)
            bonus += PHRASE_BOOST * weight * (TITLE_BOOST * in_title + in_body)
        return bonus

    def search(self, request):
        """{"hits": [(key, title, score)], "total", "facets", "mode"}."""
        parsed = request.parsed
        candidates = self._filtered(request)
        mode = "all"
        leaves, query = self._query(parsed, "all")
        matched = [d for d in candidates if query(d)] if query else []
        if not matched and query and (parsed.terms or parsed.phrases):
            any_leaves, any_query = self._query(parsed, "any")
            fallback = [d for d in candidates if any_query(d)]
            if fallback:
                matched, leaves, mode = fallback, any_leaves, "any"
        assert len(matched) <= request.per_page, "the reference does no top-k cut"
        scored = [(self._bm25(d, leaves) + self._bonus(d, request), d) for d in matched]
        scored.sort(key=lambda item: (-round(item[0], 6), -item[1].updated))
        facets = {}
        for name, values in (
            ("kind", lambda d: [d.kind]),
            ("manual", lambda d: [d.manual]),
            ("tag", lambda d: sorted(d.tags)),
        ):
            counts = Counter(
                v for d in matched for v in values(d) if v not in ("", "-")
            )
            facets[name] = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
        return {
            "hits": [(d.key, d.title, score) for score, d in scored],
            "total": len(matched),
            "facets": facets,
            "mode": mode,
        }


def _found(phrase: Phrase):
    return lambda d: phrase.found(d.stored)


def _all(nodes):
    nodes = [n for n in nodes if n is not None]
    return (lambda d: all(n(d) for n in nodes)) if nodes else None


def _any(nodes):
    nodes = [n for n in nodes if n is not None]
    return (lambda d: any(n(d) for n in nodes)) if nodes else None


# -- comparing -----------------------------------------------------------------------


def _request(q, audience, filters):
    return SearchRequest(
        parsed=parse_query(q, kinds=KINDS),
        audience=audience,
        per_page=100,
        highlight=False,
        **filters,
    )


def _backend_answer(backend, request):
    results = backend.search(request)
    return {
        "hits": [
            (f"{h.doc_type}:{h.object_id}", h.title, h.score) for h in results.hits
        ],
        "total": results.total,
        "facets": results.facets,
        "mode": results.mode,
    }


def _differences(backend, reference, *, scores: bool) -> list[str]:
    """One line per query whose backend answer differs from the reference's."""
    out = []
    for q, audience, filters, expect in QUERIES:
        request = _request(q, audience, filters)
        want, got = reference.search(request), _backend_answer(backend, request)
        label = f"{q!r} as {audience.key} {filters or ''}"
        if (expect == "none") != (want["total"] == 0) or (
            expect == "any" and want["mode"] != "any"
        ):
            out.append(f"{label}: the query set expects {expect}, the reference {want}")
        if scores:
            same_hits = len(got["hits"]) == len(want["hits"]) and all(
                g[:2] == w[:2] and math.isclose(g[2], w[2], rel_tol=1e-9, abs_tol=1e-9)
                for g, w in zip(got["hits"], want["hits"], strict=False)
            )
        else:
            same_hits = {h[:2] for h in got["hits"]} == {h[:2] for h in want["hits"]}
        for part in ("total", "facets", "mode"):
            if got[part] != want[part]:
                out.append(f"{label}: {part} {got[part]!r}, reference {want[part]!r}")
        if not same_hits:
            out.append(
                f"{label}: hits\n    backend   {_show(got['hits'])}"
                f"\n    reference {_show(want['hits'])}"
            )
    return out


def _show(hits) -> str:
    return ", ".join(f"{key} {score:.6f}" for key, _title, score in hits) or "none"


def _assert_same(backend, reference, *, scores: bool, state: str):
    differences = _differences(backend, reference, scores=scores)
    assert not differences, (
        f"{CHANGED} ({state}): {len(differences)} differences from the brute-force "
        "reference. postings.py and writer.py read whoosh internals; see their "
        "docstrings.\n" + "\n".join(differences)
    )


@pytest.fixture
def whoosh_backend(tmp_path):
    backend = WhooshSearchBackend({"OPTIONS": {"PATH": str(tmp_path / "reference")}})
    yield backend
    backend.close()


def test_rebuilt_index_matches_the_reference(whoosh_backend):
    """One rebuilt segment: the same hits, order, scores, totals, facets and mode as
    the brute-force reference for every query of the set."""
    whoosh_backend.rebuild(DOCUMENTS)
    _assert_same(whoosh_backend, Reference(DOCUMENTS), scores=True, state="rebuilt")


def test_edited_and_optimized_index_matches_the_reference(whoosh_backend):
    """Indexed two documents a commit (merges of small segments), then edits and
    deletions: the same hits, totals, facets and mode (scores differ while deleted
    documents still count in whoosh's statistics, as in Lucene). After optimize
    (every document copied by a merge) the scores match too."""
    for start in range(0, len(DOCUMENTS), 2):
        whoosh_backend.index(DOCUMENTS[start : start + 2])
    final = []
    for document in DOCUMENTS:
        if document.object_id in DELETED:
            continue
        if document.object_id in EDITED:
            title, body = EDITED[document.object_id]
            variant = Variant(document.variants[0].audiences, title, body)
            updated = document.updated + timedelta(days=30)
            document = replace(document, variants=(variant,), updated=updated)
            whoosh_backend.index([document])
        final.append(document)
    whoosh_backend.delete(f"section:{n}" for n in sorted(DELETED))
    assert whoosh_backend.document_count() == sum(len(d.variants) for d in final)
    _assert_same(whoosh_backend, Reference(final), scores=False, state="edited")

    whoosh_backend.optimize()
    reference = Reference(final, merged=True)
    _assert_same(whoosh_backend, reference, scores=True, state="optimized")


def test_installed_whoosh_is_the_pinned_version():
    """The reference check above was last run against the pinned whoosh-reloaded."""
    pins = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pinned = next(p.split("==")[1] for p in pins if p.startswith("whoosh-reloaded=="))
    installed = metadata.version("whoosh-reloaded")
    assert installed == pinned, (
        f"whoosh-reloaded {installed} is installed but pyproject.toml pins {pinned}. "
        "The search backend reads whoosh internals (manuals/search/backends/whoosh/"
        "postings.py, writer.py): re-run tests/manuals/search/test_whoosh_reference.py "
        "against the new version and update the pin only when it passes."
    )


def test_the_reference_notices_a_changed_posting_list(whoosh_backend, monkeypatch):
    """The guard is not vacuous: one posting's weight read differently (as a changed
    block layout would) shows up as differences."""
    read = postings.read_postings

    def doubled_first_weight(leaf, info, fmt):
        ids, weights = read(leaf, info, fmt)
        return ids, [w * 2 if i == 0 else w for i, w in enumerate(weights)]

    whoosh_backend.rebuild(DOCUMENTS)
    monkeypatch.setattr(postings, "read_postings", doubled_first_weight)
    assert _differences(whoosh_backend, Reference(DOCUMENTS), scores=True)
