"""App config for the FAQ: FAQ entries in the search registry, the unread-answers
count read with every page's user."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("FAQ")

    def ready(self):
        from manuals import hooks
        from manuals.search.registry import register

        from . import receivers, selectors  # noqa: F401 - re-index answers when blocks change
        from .search import EntryDocumentBuilder

        register(EntryDocumentBuilder())
        # The header shows unread answers on every page: read with the user row.
        hooks.provide_user_annotation("kb_unread_answers", selectors.unread_count_sql)
