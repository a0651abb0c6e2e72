"""Training: read confirmations, requested of teams or groups. The manual tells it
what changed through signals; its bar reaches the section page through a hook."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "manuals.training"
    label = "training"
    verbose_name = _("Training")

    def ready(self):
        from manuals import audit, hooks
        from manuals.models import AuditEntry

        from . import panels, receivers, services  # noqa: F401 - receivers listen

        hooks.provide_section_panel(panels.confirmation_bar)
        audit.register_describer(AuditEntry.Action.TRAINING, services.describe)
