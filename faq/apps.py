"""App config for the FAQ: FAQ entries in the search registry, and the read rule of
notifications about questions and entries."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("FAQ")

    def ready(self):
        from manuals.notifications import subjects
        from manuals.search.registry import register

        from . import receivers  # noqa: F401 - re-index answers when blocks change
        from .models import Entry, Question
        from .permissions import can_see_question
        from .search import EntryDocumentBuilder

        register(EntryDocumentBuilder())
        # Notifications about questions and entries: the pages' own read rules.
        subjects.register(Question, can_see_question)
        subjects.register(
            Entry,
            lambda user, entry: (
                Entry.objects.visible_to(user).filter(pk=entry.pk).exists()
            ),
        )
