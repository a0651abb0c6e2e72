"""E-mail and team-chat delivery: after commit, by the worker, retried with backoff,
checked again against the read rule when sent; payloads and signatures per platform
against a local HTTP server that records what it received."""

import base64
import datetime
import hashlib
import hmac
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from manuals.models import Visibility
from manuals.notifications import chat, services
from manuals.notifications.models import (
    ChatChannel,
    Delivery,
    EmailMode,
    Kind,
    Notification,
    Preference,
)
from manuals.people.models import Team
from manuals.sections import services as sections
from tests.factories import make_section, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.KB_SITE_URL = "https://kb.example.com"
    with translation.override("en"):
        yield


class Recorder:
    """A local webhook: records each POST, answers with `reply` (status, body)."""

    def __init__(self):
        self.received = []
        self.reply = (200, b'{"errcode": 0, "errmsg": "ok"}')
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                recorder.received.append(
                    {"path": self.path, "body": json.loads(body.decode("utf-8"))}
                )
                status, answer = recorder.reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    recorder = Recorder()
    yield recorder
    recorder.close()


def publish_edit(section, body, user):
    section.refresh_from_db()
    result = sections.section_save(
        section=section,
        user=user,
        title=section.title,
        body=body,
        base=section.head_revision,
    )
    sections.revision_publish(section=section, revision=result.revision, user=user)


# --- e-mail -------------------------------------------------------------------------


def test_immediate_email_is_sent_by_the_worker_not_the_save(tree, publisher):
    reader = make_user("agent", username="reader", email="reader@example.com")
    Preference.objects.create(user=reader, email=EmailMode.IMMEDIATE)
    services.watch_set(user=reader, section=tree["refund"], watching=True)
    publish_edit(tree["refund"], "退款 5 天。", publisher)
    assert mail.outbox == []  # nothing sent inside the save
    assert services.deliveries_send()["sent"] == 1
    (message,) = mail.outbox
    assert message.to == ["reader@example.com"]
    assert "退款政策" in message.subject and "was updated" in message.subject
    assert "https://kb.example.com/section/" in message.body
    assert services.deliveries_send()["sent"] == 0  # once


def test_email_is_dropped_when_the_subject_became_unreadable(
    tree, publisher, admin_user
):
    """Checked again when sent: a section restricted after the notification was
    made is not e-mailed about."""
    reader = make_user("agent", username="reader", email="reader@example.com")
    Preference.objects.create(user=reader, email=EmailMode.IMMEDIATE)
    services.watch_set(user=reader, section=tree["refund"], watching=True)
    publish_edit(tree["refund"], "退款 5 天。", publisher)
    secret = Group.objects.create(name="secret")
    tree["refund"].refresh_from_db()
    sections.section_update_settings(
        section=tree["refund"],
        user=admin_user,
        kind=tree["refund"].kind,
        visibility=Visibility.RESTRICTED,
        groups=[secret],
    )
    assert services.deliveries_send() == {
        "sent": 0,
        "failed": 0,
        "dropped": 1,
        "parked": 0,
    }
    assert mail.outbox == []


def test_daily_digest_by_default_with_muted_kinds_left_out(tree, publisher, editor):
    """No preference: one digest a day with what is unread and not yet e-mailed."""
    reader = make_user("agent", username="reader", email="reader@example.com")
    muted = make_user("agent", username="muted", email="muted@example.com")
    Preference.objects.create(
        user=muted, email=EmailMode.DAILY, muted_kinds=[Kind.SECTION_CHANGED]
    )
    nomail = make_user("agent", username="nomail", email="nomail@example.com")
    Preference.objects.create(user=nomail, email=EmailMode.OFF)
    for user in (reader, muted, nomail):
        services.watch_set(user=user, section=tree["refund"], watching=True)
        services.watch_set(user=user, section=tree["sop"], watching=True)
    publish_edit(tree["refund"], "一", publisher)
    publish_edit(tree["sop"], "二", publisher)
    assert services.digests_send() == 1
    (digest,) = mail.outbox
    assert digest.to == ["reader@example.com"]
    assert "2 new notifications" in digest.subject
    assert "退款政策" in digest.body and "退货流程" in digest.body
    assert services.digests_send() == 0  # each notification is e-mailed once


def test_the_worker_runs_the_daily_jobs_once_a_day(tree, admin_user, settings):
    settings.KB_DIGEST_HOUR = 0
    owner = make_user("editor", username="owner", email="owner@example.com")
    tree["refund"].refresh_from_db()
    sections.section_update_settings(
        section=tree["refund"],
        user=admin_user,
        kind=tree["refund"].kind,
        visibility=tree["refund"].visibility,
        owner=owner,
        review_by=timezone.localdate() - datetime.timedelta(days=1),
    )
    call_command("worker", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("worker", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (
        Notification.objects.filter(recipient=owner, kind=Kind.REVIEW_DUE).count() == 1
    )
    assert len(mail.outbox) == 1  # the digest with the reminder, once
    assert "due for review" in mail.outbox[0].body


# --- team chats ------------------------------------------------------------------


@pytest.fixture
def team(db):
    team = Team.objects.create(name="一线客服")
    team.members.add(
        make_user("agent", username="a1"), make_user("agent", username="a2")
    )
    return team


def channel(team, hook, platform, **kwargs):
    return ChatChannel.objects.create(
        name=f"{platform} channel",
        platform=platform,
        url=hook.url + kwargs.pop("query", ""),
        team=team,
        kinds=[Kind.SECTION_CHANGED],
        **kwargs,
    )


def test_wecom_payload(tree, publisher, team, hook):
    channel(team, hook, "wecom")
    publish_edit(tree["refund"], "新的退款规则", publisher)
    assert services.deliveries_send()["sent"] == 1
    (got,) = hook.received
    assert got["body"]["msgtype"] == "markdown"
    assert "退款政策" in got["body"]["markdown"]["content"]
    assert "https://kb.example.com/section/" in got["body"]["markdown"]["content"]


def test_dingtalk_payload_and_signature(tree, publisher, team, hook):
    channel(team, hook, "dingtalk", secret="SEC-ding", query="?access_token=abc")
    publish_edit(tree["refund"], "新的退款规则", publisher)
    assert services.deliveries_send()["sent"] == 1
    (got,) = hook.received
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(got["path"]).query)
    assert query["access_token"] == ["abc"]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(
            b"SEC-ding", f"{timestamp}\nSEC-ding".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert got["body"]["msgtype"] == "markdown"
    assert "退款政策" in got["body"]["markdown"]["title"]


def test_feishu_payload_and_signature(tree, publisher, team, hook):
    hook.reply = (200, b'{"code": 0, "msg": "success"}')
    channel(team, hook, "feishu", secret="SEC-fs")
    publish_edit(tree["refund"], "新的退款规则", publisher)
    assert services.deliveries_send()["sent"] == 1
    body = hook.received[0]["body"]
    expected = base64.b64encode(
        hmac.new(f"{body['timestamp']}\nSEC-fs".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "text" and "退款政策" in body["content"]["text"]


def test_generic_payload(tree, publisher, team, hook):
    hook.reply = (204, b"")
    channel(team, hook, "generic")
    publish_edit(tree["refund"], "新的退款规则", publisher)
    assert services.deliveries_send()["sent"] == 1
    body = hook.received[0]["body"]
    assert body["kind"] == "section_changed"
    assert "退款政策" in body["text"] and body["url"].startswith(
        "https://kb.example.com"
    )


def test_a_down_webhook_is_retried_with_backoff_and_never_fails_the_save(
    tree, publisher, team, hook
):
    hook.reply = (500, b"oops")
    channel(team, hook, "wecom")
    publish_edit(tree["refund"], "新的退款规则", publisher)  # no error for the editor
    tree["refund"].refresh_from_db()
    assert tree["refund"].published_revision.body == "新的退款规则"
    assert services.deliveries_send()["failed"] == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt > timezone.now()
    assert services.deliveries_send()["failed"] == 0  # not due yet
    hook.reply = (200, b'{"errcode": 0}')
    assert services.deliveries_send(now=delivery.next_attempt)["sent"] == 1
    assert len(hook.received) == 2


def test_a_refusing_platform_is_parked_after_the_last_attempt(
    tree, publisher, team, hook
):
    """A 200 answer that says no (a wrong key) is a failure too; after the last
    attempt the delivery is parked, visible in the admin."""
    hook.reply = (200, b'{"errcode": 93000, "errmsg": "invalid webhook url"}')
    channel(team, hook, "wecom")
    publish_edit(tree["refund"], "新的退款规则", publisher)
    now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        services.deliveries_send(now=now)
        now += services.MAX_BACKOFF
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PARKED
    assert "invalid webhook url" in delivery.last_error
    assert services.backoff(1) < services.backoff(3) <= services.MAX_BACKOFF


def test_a_channel_carries_only_what_all_its_members_may_read(
    tree, publisher, team, hook, admin_user
):
    secret = Group.objects.create(name="secret")
    restricted = make_section(
        tree["a"],
        title="RESTRICTED 赔付",
        visibility=Visibility.RESTRICTED,
        groups=[secret],
        user=admin_user,
    )
    channel(team, hook, "generic")
    first = team.members.first()
    first.groups.add(secret)  # one member of two may read it: not posted
    publish_edit(restricted, "内部", admin_user)
    assert not Delivery.objects.exists()
    for member in team.members.all():
        member.groups.add(secret)
    publish_edit(restricted, "内部 2", admin_user)
    assert Delivery.objects.count() == 1


def test_build_is_pure_and_signs_only_with_a_secret():
    url, body = chat.build(
        "dingtalk",
        url="https://x/robot?access_token=t",
        secret="",
        text="T",
        link="",
        kind="k",
    )
    assert url == "https://x/robot?access_token=t" and "sign" not in url
    url, body = chat.build(
        "feishu", url="https://x", secret="", text="T", link="L", kind="k"
    )
    assert "sign" not in body and body["content"]["text"] == "T\nL"


def test_admin_sets_up_a_channel_for_a_team_or_a_group(client, admin_user, team):
    """The admin form: the kinds are checkboxes; a team or a group, not both."""
    client.force_login(admin_user)
    url = "/admin/notifications/chatchannel/add/"
    data = {
        "name": "北区群",
        "platform": "wecom",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        "secret": "",
        "kinds": [Kind.SECTION_CHANGED],
        "active": "on",
    }
    refused = client.post(url, data)
    assert refused.status_code == 200 and not ChatChannel.objects.exists()
    assert client.post(url, {**data, "team": team.pk}).status_code == 302
    assert ChatChannel.objects.get().kinds == [Kind.SECTION_CHANGED]
