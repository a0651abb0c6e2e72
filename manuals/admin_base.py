"""The base of every ModelAdmin of ours: changes made in the Django admin are audited
as the services' changes are (manuals.admin, the portal's and the FAQ's admins)."""

from django.contrib import admin

from . import audit
from .models import AuditEntry, Section


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the Django admin goes into the audit log, as the
    services' changes do. That also moves the change stamp, so cached pages
    (manuals.sections.navigation) show admin changes at once. Subclasses add what else a
    change must bring along in `after_save` and `after_delete`."""

    def _audit(self, request, obj, change: str, **detail):
        audit.record(
            AuditEntry.Action.ADMIN,
            user=request.user,
            section=obj if isinstance(obj, Section) and obj.pk else None,
            obj=obj,
            model=obj._meta.label_lower,
            change=change,
            **detail,
        )

    def after_save(self, request, obj, change: bool) -> None:
        """Called after the object and its relations were saved."""

    def before_delete(self, request, obj):
        """Called before `obj` is deleted; returns what after_delete needs."""

    def after_delete(self, request, obj, before) -> None:
        """Called after `obj` was deleted, with what before_delete returned."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # m2m (groups) too
        self._audit(request, form.instance, "edit" if change else "create")
        self.after_save(request, form.instance, change)

    def delete_model(self, request, obj):
        self._audit(request, obj, "delete", id=obj.pk)
        before = self.before_delete(request, obj)
        super().delete_model(request, obj)
        self.after_delete(request, obj, before)

    def delete_queryset(self, request, queryset):
        # One at a time, so each deletion brings its effects along.
        for obj in queryset:
            self.delete_model(request, obj)
