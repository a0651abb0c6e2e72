"""People: teams and the managers' user screens. Depends on the manual, never back."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "manuals.people"
    label = "people"
    verbose_name = _("People")
