"""Posting to team chats: 企业微信 group robots, 钉钉 custom robots, 飞书 custom bots
and a generic JSON webhook.

Payloads follow each platform's documented custom-robot format:
- WeCom (企业微信): `{"msgtype": "markdown", "markdown": {"content": ...}}`; the
  answer is `{"errcode": 0, ...}` on success.
- DingTalk (钉钉): `{"msgtype": "markdown", "markdown": {"title", "text"}}`; with a
  signing secret the URL carries `timestamp` (ms) and `sign` =
  base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")); answer `errcode` 0.
- Feishu (飞书): `{"msg_type": "text", "content": {"text": ...}}`; with a secret the
  body carries `timestamp` (s) and `sign` = base64(HMAC-SHA256(key=
  f"{timestamp}\\n{secret}", msg=b"")); answer `code` (or `StatusCode`) 0.
- Generic: `{"kind", "text", "url", "site"}`; any 2xx answer is success.

Any other answer raises `ChatError`, which the outbox retries with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

TIMEOUT_SECONDS = 5
MAX_ANSWER_BYTES = 64 * 1024


class ChatError(Exception):
    """The platform did not accept the post."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def build(platform: str, *, url: str, secret: str, text: str, link: str, kind: str):
    """(url, JSON body) of one post; pure, so tests can check it."""
    line = f"{text}\n{link}" if link else text
    if platform == "wecom":
        content = f"**{text}**\n[{link}]({link})" if link else f"**{text}**"
        return url, {"msgtype": "markdown", "markdown": {"content": content}}
    if platform == "dingtalk":
        if secret:
            ts = int(time.time() * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}" + urllib.parse.urlencode(
                {"timestamp": ts, "sign": dingtalk_sign(secret, ts)}
            )
        body = f"#### {text}\n\n[{link}]({link})" if link else f"#### {text}"
        return url, {"msgtype": "markdown", "markdown": {"title": text, "text": body}}
    if platform == "feishu":
        payload = {"msg_type": "text", "content": {"text": line}}
        if secret:
            ts = int(time.time())
            payload = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **payload}
        return url, payload
    return url, {
        "kind": kind,
        "text": text,
        "url": link,
        "site": settings.KB_SITE_NAME,
    }


def _accepted(platform: str, answer: bytes) -> bool:
    if platform == "generic":
        return True
    try:
        data = json.loads(answer.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    if platform in ("wecom", "dingtalk"):
        return data.get("errcode") == 0
    code = data.get("code", data.get("StatusCode"))
    return code == 0


def post(channel, *, text: str, url: str, kind: str) -> None:
    target, payload = build(
        channel.platform,
        url=channel.url,
        secret=channel.secret,
        text=text,
        link=url,
        kind=kind,
    )
    if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        raise ChatError("the webhook address must be http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        target,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            body = answer.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        raise ChatError(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChatError(str(getattr(exc, "reason", exc))) from exc
    if not _accepted(channel.platform, body):
        raise ChatError(f"refused: {body[:200].decode('utf-8', 'replace')}")
