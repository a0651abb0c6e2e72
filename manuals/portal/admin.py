"""The portal settings in the Django admin: one row, never added twice or deleted.

`manuals/admin.py` (the module admin autodiscovery imports) imports this one, so the
portal's admin stays with the portal; both build on manuals/admin_base.py.
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..admin_base import AuditedAdmin
from .models import PortalSettings


@admin.register(PortalSettings)
class PortalSettingsAdmin(AuditedAdmin):
    list_display = ["site_name", "primary_color"]
    fieldsets = [
        (None, {"fields": ["site_name", "tagline", "footer_text"]}),
        (_("Logo"), {"fields": ["logo", "logo_url"]}),
        (_("Colour"), {"fields": ["primary_color"]}),
    ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "logo_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not (
            PortalSettings.objects.exists()
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A list of one row is noise: go straight to the row (creating it).
        obj = PortalSettings.objects.filter(pk=1).first()
        if obj is None:
            PortalSettings.load().save()
        return HttpResponseRedirect(
            reverse("admin:manuals_portalsettings_change", args=[1])
        )
