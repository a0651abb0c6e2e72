"""App config for the FAQ; registers FAQ entries with the search registry."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = _("FAQ")

    def ready(self):
        from manuals.search.registry import register

        from . import receivers  # noqa: F401 - re-index answers when blocks change
        from .search import EntryDocumentBuilder

        register(EntryDocumentBuilder())
