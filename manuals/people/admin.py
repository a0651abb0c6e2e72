"""Teams in the Django admin, audited as every admin change is. Managers use the
people screens (/people/teams/) instead."""

from django.contrib import admin

from manuals.admin_base import AuditedAdmin

from .models import Team


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ["name", "lead", "created"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members"]
    raw_id_fields = ["lead"]
