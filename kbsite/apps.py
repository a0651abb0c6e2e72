"""App config for the project package; creates the role groups after every migrate."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _create_roles(sender, **kwargs):
    from .roles import setup_roles

    setup_roles()


class KbsiteConfig(AppConfig):
    name = "kbsite"
    verbose_name = "Knowledge base site"

    def ready(self):
        # Permissions exist only once contrib.auth's post_migrate handler has created
        # them for the manuals app (it was connected first, so it runs first).
        post_migrate.connect(
            _create_roles,
            sender=apps.get_app_config("manuals"),
            dispatch_uid="kb_roles",
        )
