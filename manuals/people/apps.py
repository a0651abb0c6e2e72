"""People: teams and the managers' user screens. Depends on the manual, never back."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "manuals.people"
    label = "people"
    verbose_name = _("People")

    def ready(self):
        from manuals import audit
        from manuals.models import AuditEntry

        from . import history

        # The audit log says what people and team entries mean.
        audit.register_describer(AuditEntry.Action.PEOPLE, history.describe)
