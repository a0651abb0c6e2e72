"""The search outbox: one row per object whose index entry must be brought up to date.

Rows are written in the same database transaction as the content change, so a change
that commits always leaves its row behind, and a rolled-back change leaves none. A row
says only "make the index agree with the database for this object": applying it twice
is harmless, and it stays until applied (a crash or a busy index loses nothing).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndexTask(models.Model):
    doc_type = models.CharField(_("document type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=64)
    created = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        app_label = "manuals"
        ordering = ["pk"]
        verbose_name = _("search index task")
        verbose_name_plural = _("search index tasks")

    def __str__(self):
        return f"{self.doc_type}:{self.object_id}"
