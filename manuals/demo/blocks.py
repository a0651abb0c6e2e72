"""Reusable blocks of the demo manual, and the demo sections that embed them."""

DEMO_BLOCKS = [
    {
        "key": "service-hotline",
        "title": "客服热线与服务时间",
        "visibility": "public",
        "body": (
            "| 渠道 | 联系方式 | 服务时间 |\n"
            "| --- | --- | --- |\n"
            "| 客服热线 | 400-820-6688 | 每天 9:00-21:00 |\n"
            "| 在线客服 | 官网及 App「联系客服」 | 每天 8:00-24:00 |\n"
            "| 电子邮箱 | service@example.com | 工作日 24 小时内回复 |\n"
        ),
    },
    {
        "key": "greeting-script",
        "title": "标准开场白",
        "visibility": "internal",
        "body": (
            '!!! tip "标准开场白"\n'
            "    您好，这里是云帆科技客服，我是客服小云（工号 1024），很高兴为您服务。"
            "请问有什么可以帮您？\n"
        ),
    },
    {
        "key": "refund-timing-rule",
        "title": "退款到账时效",
        "visibility": "public",
        "body": (
            "退款审核通过后，款项按原支付方式退回：支付宝、微信支付 1-3 个工作日到账，"
            "银行卡 3-7 个工作日到账，信用卡以发卡行入账时间为准。\n"
        ),
    },
]

# Demo section key -> blocks its body ends with.
EMBEDS = {
    "reception_sop": ["greeting-script"],
    "phone_channel": ["greeting-script"],
    "chat_channel": ["greeting-script"],
    "contact_list": ["service-hotline"],
    "hc_contact": ["service-hotline"],
    "refund_timing": ["refund-timing-rule"],
    "hc_returns": ["refund-timing-rule"],
}
