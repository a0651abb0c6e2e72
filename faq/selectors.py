"""Read logic for the FAQ: entries a reader may see, rendered answers, the queue."""

import hashlib
from itertools import groupby

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from manuals.models import Section
from manuals.notifications import selectors as notification_selectors
from manuals.notifications.models import Kind, Notification
from manuals.rendering import render_cached

from .models import Entry, Question, QuestionStatus


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


def unread_answers(*, user):
    """The asker's unread notifications about what happened to their questions."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return notification_selectors.for_user(user=user, unread_only=True).filter(
        content_type=ContentType.objects.get_for_model(Question),
        kind__in=[Kind.QUESTION_ANSWERED, Kind.QUESTION_DECLINED],
    )
