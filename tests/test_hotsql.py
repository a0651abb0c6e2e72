"""kbsite.hotsql: the per-page queries compiled once give what the ORM gives, on
SQLite and on PostgreSQL (the suite runs on both)."""

import pytest
from django.contrib.sessions.models import Session
from django.db.models import IntegerField, Value
from django.test import Client

from faq.models import Notification, Question
from kbsite.auth import PERMISSIONS, USER
from kbsite.hotsql import HotQuery
from kbsite.sessions import SESSION, SessionStore
from manuals.navigation import STAMP, change_stamp
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [SESSION, USER, PERMISSIONS, STAMP])
def test_every_page_query_is_kept_compiled(query):
    assert query.kept()


def test_permission_rows_match_the_orm(tree):
    user = make_user("editor", "manager", username="two-roles")
    compiled = sorted(PERMISSIONS.rows(user_id=user.pk), key=repr)
    orm = sorted(PERMISSIONS.queryset(user_id=user.pk), key=repr)
    assert compiled == orm
    assert len(compiled) > 5
    assert PERMISSIONS.rows(user_id=10**6) == []


def test_user_with_unread_count_matches_the_orm(tree):
    user = make_user("agent", username="reader")
    question = Question.objects.create(asked_by=user, text="发票怎么开？")
    Notification.objects.create(user=user, question=question)
    (compiled,) = USER.objects(user_id=user.pk)
    (orm,) = USER.queryset(user_id=user.pk)
    assert compiled == orm and compiled.username == "reader"
    assert compiled.kb_unread_notices == orm.kb_unread_notices == 1
    assert compiled.date_joined == orm.date_joined  # converters applied
    assert USER.objects(user_id=10**6) == []


def test_stamp_matches_the_orm(tree):
    (compiled,) = STAMP.rows()
    (orm,) = STAMP.queryset()
    assert compiled == orm
    assert change_stamp() == f"{orm[0]}.{orm[1]}"


def test_session_store_reads_live_sessions_only(tree):
    client = Client()
    client.force_login(make_user("agent", username="s-user"))
    key = client.cookies["sessionid"].value
    assert SessionStore(key).load()["_auth_user_id"]
    Session.objects.filter(session_key=key).update(expire_date="2000-01-01T00:00Z")
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None  # a fresh key will be made, as Django does


def test_a_query_that_cannot_be_kept_runs_through_the_orm():
    """A query the ORM will not compile with markers (here an empty one) is not
    kept: it runs through the ORM every time, still right."""
    query = HotQuery(
        lambda n: (
            Session.objects.annotate(n=Value(n, IntegerField())).values_list("n").none()
        ),
        n=int,
    )
    assert not query.kept()
    assert query.sql(n=1) is None
    assert query.rows(n=1) == []
