"""Generated Chinese customer-service sections for the search benchmark.

Realistic enough to stress the index: a core vocabulary of service words, hundreds of
product names with model codes, and thousands of rare words (names, places, jargon),
mixed with some English and Traditional-script sections.
"""

import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from manuals.search.registry import PUBLIC, STAFF, SearchDocument, Variant

COMMON = (
    "客户 订单 退货 退款 换货 保修 维修 发票 物流 快递 签收 工单 投诉 升级 流程 规范 "
    "话术 安抚 核实 审批 时效 赔偿 补偿 优惠券 积分 会员 账号 密码 登录 支付 分期 "
    "价格 保护 质检 评分 满意度 回访 渠道 电话 在线 聊天 邮件 主管 一线 客服 系统 "
    "记录 备注 截图 凭证 序列号 型号 故障 检测 寄回 上门 门店 仓库 质量 问题 原因 "
    "处理 结果 通知 短信 承诺 时限 标准 例外 特批 政策 条款 说明 步骤 注意事项 "
    "风险 安全 隐私 数据 授权 身份 验证 地址 修改 取消 拦截 丢失 破损 延误 催单"
).split()
CONNECTORS = (
    "的 在 并 后 时 如果 需要 应当 可以 必须 不得 及时 同时 然后 对于 按照".split()
)
PRODUCT_STEMS = "云帆 星河 极光 青松 蓝鲸 北辰 潮汐 晨曦 远山 飞鸟".split()
PRODUCT_KINDS = "智能音箱 降噪耳机 运动手环 智能手表 路由器 充电宝 投影仪 扫地机 摄像头 门锁".split()
ENGLISH = (
    "refund return warranty invoice shipping delivery account password coupon "
    "member points escalation ticket priority customer service policy exchange"
).split()
RARE_CHARS = (
    "璟珩琰瑾瑜琛璐瑶珂玥翊霁澜泓沅湛溟汐淇渊峤岚嵘屹崧烨煜熠炜灿曜晞昶晟暄"
    "蔚蓁蕙芷苓茉荀莘菁萱蕤薇藜蘅骁骐骞驰鸿鹏鹤鸾翎羽彧琮璋瑄琪璇珈玳瑁"
)
COMMON_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年"
    "动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化"
    "高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天"
    "政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向"
    "道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
)
TRADITIONAL = {
    "退货": "退貨",
    "订单": "訂單",
    "会员": "會員",
    "积分": "積分",
    "发票": "發票",
}


class Corpus:
    def __init__(self, size: int, seed: int = 7):
        self.rng = random.Random(seed + size)
        rng = self.rng
        self.products = [
            f"{rng.choice(PRODUCT_STEMS)}{rng.choice(PRODUCT_KINDS)} "
            f"{rng.choice('XSMQ')}{rng.randint(1, 99)}"
            for _ in range(max(50, size // 50))
        ]
        self.rare = [
            "".join(rng.sample(RARE_CHARS, rng.randint(2, 3)))
            for _ in range(max(500, size // 5))
        ]
        self.size = size
        # A Zipf-distributed vocabulary, like real text: function words first, the
        # service vocabulary spread over ranks 20-800, rare words in the long tail.
        common = COMMON[:]
        rng.shuffle(common)
        filler = ["".join(rng.sample(COMMON_CHARS, 2)) for _ in range(3000)]
        vocab = CONNECTORS + []
        for i, word in enumerate(common):
            vocab += filler[i * 8 : i * 8 + 8] + [word]
        vocab += filler[len(common) * 8 :] + self.rare
        self.vocab = vocab
        self.weights = [1 / (r + 1) for r in range(len(vocab))]
        # Cumulative once: rng.choices(weights=...) re-sums all of them per call, which
        # made generating 50,000 sections take minutes. Same draws, same corpus.
        self.cum_weights = list(accumulate(self.weights))

    def sentence(self) -> str:
        rng = self.rng
        n = rng.randint(6, 14)
        words = rng.choices(self.vocab, cum_weights=self.cum_weights, k=n)
        roll = rng.random()
        if roll < 0.3:
            words[rng.randrange(n)] = rng.choice(self.products)
        elif roll < 0.4:
            words[rng.randrange(n)] = " " + rng.choice(ENGLISH) + " "
        return "".join(words) + rng.choice("。；，！")

    def document(self, n: int) -> SearchDocument:
        rng = self.rng
        title = (
            rng.choice(self.products)
            + rng.choice(COMMON)
            + rng.choice(["流程", "规范", "说明", "政策", "话术", "处理办法"])
        )
        body = "".join(self.sentence() for _ in range(rng.randint(20, 45)))
        if n % 10 == 0:
            for simp, trad in TRADITIONAL.items():
                body = body.replace(simp, trad)
        audiences = frozenset({PUBLIC, STAFF}) if n % 5 == 0 else frozenset({STAFF})
        return SearchDocument(
            doc_type="section",
            object_id=n,
            variants=(Variant(audiences, title, body),),
            kind=rng.choice(["policy", "sop", "article", "product", "scenario"]),
            manual=str(n % 12),
            tags=tuple(rng.sample(COMMON[:30], 2)),
            updated=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            url=f"/s/{n}/",
        )

    def documents(self):
        for n in range(1, self.size + 1):
            yield self.document(n)

    def queries(self, count: int = 200) -> list[str]:
        """A mixed set: 1-3 Chinese words, English, mixed, quoted, Traditional."""
        rng = random.Random(99)
        out = []
        for i in range(count):
            kind = i % 8
            if kind in (0, 1):
                out.append(rng.choice(COMMON))
            elif kind == 2:
                out.append(" ".join(rng.sample(COMMON, 2)))
            elif kind == 3:
                out.append(" ".join(rng.sample(COMMON, 3)))
            elif kind == 4:
                out.append(rng.choice(ENGLISH))
            elif kind == 5:
                out.append(
                    rng.choice(self.products).split()[0] + " " + rng.choice(ENGLISH)
                )
            elif kind == 6:
                out.append(f'"{rng.choice(COMMON)}{rng.choice(COMMON)}"')
            else:
                out.append(
                    rng.choice(list(TRADITIONAL.values())) + " " + rng.choice(COMMON)
                )
        return out
