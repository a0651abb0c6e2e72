"""App config for the project package: registers its system checks and creates the
role groups after every migrate."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _create_roles(sender, **kwargs):
    # post_migrate is sent once per app, in INSTALLED_APPS order, and contrib.auth
    # creates each app's permissions in its own handler. Roles refer to permissions of
    # several apps, so wait for the last app that has models.
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender.label != last.label:
        return
    from .roles import setup_roles

    setup_roles()


class KbsiteConfig(AppConfig):
    name = "kbsite"
    verbose_name = "Knowledge base site"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)

        post_migrate.connect(_create_roles, dispatch_uid="kb_roles")
