"""Notifications: one system for everything the site tells people (in-app, e-mail,
team chat). Depends on the manual and people, never back: the manual's events reach
it through signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "manuals.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from manuals import hooks

        from . import (
            receivers,  # noqa: F401 - listens to the manual's signals
            selectors,
        )

        # The bell is on every page: its count is read with the user row.
        hooks.provide_user_annotation(
            "kb_unread_notifications", selectors.unread_count_sql
        )
