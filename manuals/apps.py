"""App config for the manual."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManualsConfig(AppConfig):
    name = "manuals"
    verbose_name = _("Manual")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import media  # noqa: F401 - deletes a file when its Media row goes
        from .search import receivers  # noqa: F401 - connects the outbox receivers
        from .search.registry import register
        from .search.sections import SectionDocumentBuilder
        from .sections import reading

        register(SectionDocumentBuilder())
        # The star on section pages reads the reader's favourites from the session.
        user_logged_in.connect(
            reading.remember_favourites_at_login, dispatch_uid="kb-favourites"
        )
