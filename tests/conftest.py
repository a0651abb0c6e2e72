"""Shared fixtures: role users, a small manual tree, logged-in clients."""

import pytest
from django.core.cache import cache

from manuals.models import Kind, Visibility
from tests.factories import make_admin, make_section, make_user


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return make_admin()


@pytest.fixture
def agent(db):
    return make_user("agent", username="agent")


@pytest.fixture
def editor(db):
    """An editor who may not publish."""
    return make_user("editor", username="editor")


@pytest.fixture
def publisher(db):
    """An editor with publish rights (the usual editor set-up)."""
    return make_user("editor", "publisher", username="publisher")


@pytest.fixture
def tree(db, admin_user):
    """A manual with chapters and sections of mixed visibility.

    manual (internal)
      chapter A (internal)
        refund policy (internal)   body mentions INTERNAL-CANARY
        returns sop (internal)
      chapter B (internal)
        scripts (internal)
    help (public)
      public faq (public)
    """
    manual = make_section(title="客服手册", kind=Kind.MANUAL, user=admin_user)
    a = make_section(manual, title="第一章 政策", kind=Kind.CHAPTER, user=admin_user)
    refund = make_section(
        a,
        title="退款政策",
        kind=Kind.POLICY,
        user=admin_user,
        body="## 规则\n\n退款 7 天内处理。INTERNAL-CANARY",
    )
    sop = make_section(
        a,
        title="退货流程",
        kind=Kind.SOP,
        user=admin_user,
        body="1. 核实订单\n2. 生成退货单",
    )
    b = make_section(manual, title="第二章 话术", kind=Kind.CHAPTER, user=admin_user)
    scripts = make_section(b, title="愤怒客户话术", kind=Kind.SCENARIO, user=admin_user)
    help_root = make_section(
        title="帮助中心",
        kind=Kind.MANUAL,
        visibility=Visibility.PUBLIC,
        user=admin_user,
    )
    public_faq = make_section(
        help_root,
        title="常见问题",
        visibility=Visibility.PUBLIC,
        user=admin_user,
        body="公开的回答 PUBLIC-TEXT",
    )
    return {
        "manual": manual,
        "a": a,
        "refund": refund,
        "sop": sop,
        "b": b,
        "scripts": scripts,
        "help": help_root,
        "public_faq": public_faq,
    }


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def publisher_client(client, publisher):
    client.force_login(publisher)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
