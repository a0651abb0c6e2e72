"""A full disk: a plain 503 page that gives back what the user typed, one log line
instead of a traceback per request, and JSON for scripts."""

import errno
import logging
import sqlite3

import pytest
from django.db import OperationalError
from django.urls import reverse

from faq import services as faq_services
from kbsite.middleware import StorageFullMiddleware, is_storage_full
from manuals.blocks import services as blocks
from manuals.models import Visibility

pytestmark = pytest.mark.django_db

TITLE = "退款政策（修订）"
BODY = "## 规则\n\n退款 **14 天**内处理。\n\n<em>不要丢</em> & 保留"


@pytest.fixture(autouse=True)
def _log_every_time(monkeypatch):
    # Each test sees its first report logged.
    monkeypatch.setattr(StorageFullMiddleware, "_last_logged", float("-inf"))


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def sqlite_full(*args, **kwargs):
    try:
        raise sqlite3.OperationalError("database or disk is full")
    except sqlite3.OperationalError as exc:
        raise OperationalError("database or disk is full") from exc


def post_section_edit(client, section, **extra):
    return client.post(
        reverse("manuals:edit", args=[section.pk]),
        {
            "title": TITLE,
            "body": BODY,
            "message": "改成 14 天",
            "base": section.head_revision.pk,
        },
        HTTP_ACCEPT_LANGUAGE="en",
        **extra,
    )


@pytest.mark.parametrize("failure", [enospc, sqlite_full], ids=["ENOSPC", "sqlite"])
def test_section_save_on_a_full_disk_keeps_the_text(
    publisher_client, tree, monkeypatch, caplog, failure
):
    """The editor gets a 503 page saying the server cannot store data now, with the
    posted title, text and summary in read-only boxes to copy; nothing was saved."""
    refund = tree["refund"]
    monkeypatch.setattr("manuals.sections.services.section_save", failure)
    with caplog.at_level(logging.WARNING):
        response = post_section_edit(publisher_client, refund)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Content-Security-Policy" in response
    html = response.content.decode()
    assert "The server cannot store data right now" in html
    assert "Its disk is full, so nothing was saved." in html
    assert "Server Error" not in html
    escaped_body = BODY.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f'rows="16" readonly>{escaped_body}</textarea>' in html
    assert f"readonly>{TITLE}</textarea>" in html
    assert "readonly>改成 14 天</textarea>" in html
    assert "csrfmiddlewaretoken" not in html
    assert f'href="{reverse("manuals:edit", args=[refund.pk])}"' in html
    # One line, no traceback, and Django's request logger does not add another.
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].name == "kbsite.storage"
    assert records[0].exc_info is None
    assert "Storage full: POST /section/" in records[0].getMessage()


def test_repeated_failures_are_logged_once_a_minute(
    publisher_client, tree, monkeypatch, caplog
):
    """While the disk stays full, the log gets one line a minute, not one per save;
    the next line says how many were not reported."""
    monkeypatch.setattr("manuals.sections.services.section_save", enospc)
    with caplog.at_level(logging.WARNING, logger="kbsite.storage"):
        for _ in range(5):
            assert (
                post_section_edit(publisher_client, tree["refund"]).status_code == 503
            )
    assert len([r for r in caplog.records if r.name == "kbsite.storage"]) == 1
    monkeypatch.setattr(StorageFullMiddleware, "_last_logged", float("-inf"))
    with caplog.at_level(logging.WARNING, logger="kbsite.storage"):
        post_section_edit(publisher_client, tree["refund"])
    assert "(4 more since the last report)" in caplog.records[-1].getMessage()


def test_block_save_on_a_full_disk_keeps_the_text(
    publisher_client, publisher, monkeypatch
):
    block = blocks.block_create(
        key="greeting",
        title="问候",
        body="您好",
        visibility=Visibility.INTERNAL,
        user=publisher,
        publish=True,
    )
    monkeypatch.setattr("manuals.blocks.services.block_save", sqlite_full)
    response = publisher_client.post(
        reverse("manuals:block_edit", args=[block.key]),
        {"title": "问候语", "body": "您好，很高兴为您服务", "base": ""},
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert "readonly>您好，很高兴为您服务</textarea>" in html
    assert "readonly>问候语</textarea>" in html


def test_faq_save_on_a_full_disk_keeps_the_text(client, admin_user, monkeypatch):
    entry = faq_services.entry_create(
        question="怎么退款？",
        answer="七天内。",
        user=admin_user,
        visibility="internal",
    )
    client.force_login(admin_user)
    monkeypatch.setattr("faq.services.entry_update", enospc)
    response = client.post(
        reverse("faq:edit", args=[entry.pk]),
        {
            "question": "怎么申请退款？",
            "answer": "十四天内，在订单页申请。",
            "order": "0",
            "visibility": "internal",
            "base_question": entry.question,
            "base_answer": entry.answer,
        },
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert "readonly>怎么申请退款？</textarea>" in html
    assert "readonly>十四天内，在订单页申请。</textarea>" in html
    assert "readonly>七天内。</textarea>" not in html  # the hidden copy is left out


def test_scripts_get_json(publisher_client, tree, monkeypatch):
    """A script's request (the survey, autosave) gets the message as JSON errors."""
    monkeypatch.setattr("manuals.sections.services.section_save", enospc)
    response = post_section_edit(
        publisher_client, tree["refund"], headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 503
    error = response.json()["errors"]["__all__"][0]
    assert error["code"] == "storage_full"
    assert "cannot store data right now" in error["message"]


def test_other_errors_are_not_mistaken_for_a_full_disk(
    publisher_client, tree, monkeypatch
):
    """Only a full disk is answered so: another OSError is still a server error."""

    def denied(*args, **kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("manuals.sections.services.section_save", denied)
    publisher_client.raise_request_exception = False
    assert post_section_edit(publisher_client, tree["refund"]).status_code == 500


def test_what_counts_as_a_full_disk():
    class DiskFull(Exception):  # psycopg.errors.DiskFull carries its SQLSTATE
        sqlstate = "53100"

    assert is_storage_full(OSError(errno.ENOSPC, "full"))
    assert is_storage_full(OSError(errno.EDQUOT, "quota"))
    assert is_storage_full(sqlite3.OperationalError("database or disk is full"))
    try:
        raise OperationalError("could not extend file") from DiskFull()
    except OperationalError as exc:
        assert is_storage_full(exc)
    try:
        try:
            enospc()
        except OSError:
            raise RuntimeError("index update failed")  # noqa: B904
    except RuntimeError as exc:
        assert is_storage_full(exc)  # raised while handling a full disk
    assert not is_storage_full(OSError(errno.EACCES, "denied"))
    assert not is_storage_full(OperationalError("database is locked"))
    assert not is_storage_full(ValueError("nope"))


def test_a_full_disk_after_the_view_gets_the_page_too(
    client, agent, monkeypatch, caplog
):
    """Saving the session happens after the view (here: logging in); a full disk
    there is answered by handler500 with the same 503 page and one log line."""

    def full(*args, **kwargs):
        sqlite_full()

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.save", full)
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.create", full)
    client.raise_request_exception = False
    with caplog.at_level(logging.WARNING):
        response = client.post(
            reverse("login"), {"username": "agent", "password": "pw"}
        )
    assert response.status_code == 503
    assert "readonly>" not in response.content.decode()  # no password, no name
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in records] == ["kbsite.storage"]


def test_other_server_errors_keep_the_plain_500_page(client, agent, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.save", broken)
    monkeypatch.setattr(
        "django.contrib.sessions.backends.db.SessionStore.create", broken
    )
    client.raise_request_exception = False
    response = client.post(reverse("login"), {"username": "agent", "password": "pw"})
    assert response.status_code == 500
    assert '<main id="main">' in response.content.decode()
