"""Read logic for the FAQ: entries a reader may see, rendered answers, the queue."""

import hashlib
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from manuals.models import Section
from manuals.rendering import render_cached

from .models import Entry, Notification, Question, QuestionStatus


def rendered_answer(entry: Entry, user, *, stamp=None):
    """The answer through the one rendering pipeline, for this reader's audience,
    cached by entry, its text and the audience (an edit in the Django admin leaves
    `updated` alone), and re-rendered when a block it embeds is published."""
    digest = hashlib.sha1(entry.answer.encode(), usedforsecurity=False).hexdigest()
    name = f"faq.Entry:{entry.pk}:{digest[:16]}"
    return render_cached(name, entry.answer, user, stamp=stamp).html


def entries_by_category(*, user) -> list[tuple]:
    """[(category or None, [entries])] in category and entry order."""
    entries = list(Entry.objects.visible_to(user).select_related("category"))
    return [
        (category, list(items))
        for category, items in groupby(entries, key=lambda e: e.category)
    ]


def related_entries(*, section, user):
    return (
        Entry.objects.visible_to(user)
        .filter(related_sections=section)
        .select_related("category")
    )


def readable_questions(*, user, questions=None):
    """Questions `user` may see: a question asked from a section is about it, so it
    passes that section's read check (asked from search or nowhere: no check)."""
    questions = Question.objects.all() if questions is None else questions
    return questions.filter(
        Q(section__isnull=True) | Q(section__in=Section.objects.readable_by(user))
    )


def open_questions(*, user):
    return (
        readable_questions(user=user)
        .filter(status=QuestionStatus.OPEN)
        .select_related("asked_by", "section")
        .order_by("created")
    )


def unread_count_sql(user_alias: str) -> str:
    """SQL counting the unread notices of the user row aliased `user_alias` (read
    with every page's user, see FaqConfig.ready)."""
    q = connection.ops.quote_name
    meta = Notification._meta
    user = q(meta.get_field("user").column)
    read = q(meta.get_field("read_at").column)
    pk = q(get_user_model()._meta.pk.column)
    return (
        f"SELECT COUNT(*) FROM {q(meta.db_table)} n "  # noqa: S608 - model names
        f"WHERE n.{user} = {user_alias}.{pk} AND n.{read} IS NULL"
    )


def unread_notifications(*, user):
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user, read_at__isnull=True)
