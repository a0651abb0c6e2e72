"""Read logic for the FAQ: entries a reader may see, rendered answers, the queue."""

import hashlib
from itertools import groupby

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import mark_safe

from manuals.permissions import audience_key
from manuals.rendering import render_markdown

from .models import Entry, Notification, Question, QuestionStatus


def rendered_answer(entry: Entry, user):
    """The answer through the one rendering pipeline, for this reader's audience,
    cached by entry, its last change and the audience."""
    audience = audience_key(user)
    digest = hashlib.sha1(audience.encode(), usedforsecurity=False).hexdigest()[:12]
    key = f"kb:faq:v1:{entry.pk}:{entry.updated.timestamp()}:{digest}"
    html = cache.get(key)
    if html is None:
        html = str(render_markdown(entry.answer, audience).html)
        cache.set(key, html, settings.KB_RENDER_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 - sanitized by the pipeline


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


def open_questions():
    return (
        Question.objects.filter(status=QuestionStatus.OPEN)
        .select_related("asked_by", "section")
        .order_by("created")
    )


def unread_notifications(*, user):
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user, read_at__isnull=True)
