"""Training in the Django admin, audited as every admin change is. Confirmations are
evidence: shown, never added, changed or deleted here. Trainers use /training/."""

from django.contrib import admin

from manuals.admin_base import AuditedAdmin

from .models import (
    Confirmation,
    ConfirmationRequest,
    LearningPath,
    PathAssignment,
    PathStep,
)


@admin.register(Confirmation)
class ConfirmationAdmin(admin.ModelAdmin):
    list_display = ["user", "section", "revision_number", "material_version", "created"]
    list_filter = ["source"]
    search_fields = ["user__username", "section__title"]
    raw_id_fields = ["user", "section", "revision"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConfirmationRequest)
class ConfirmationRequestAdmin(AuditedAdmin):
    list_display = ["section", "team", "group", "due", "created_by", "created"]
    raw_id_fields = ["section", "created_by"]


class PathStepInline(admin.TabularInline):
    model = PathStep
    fk_name = "path"
    raw_id_fields = ["section", "prerequisite"]
    extra = 0


@admin.register(LearningPath)
class LearningPathAdmin(AuditedAdmin):
    list_display = ["name", "level", "active", "created"]
    list_filter = ["level", "active"]
    inlines = [PathStepInline]


@admin.register(PathAssignment)
class PathAssignmentAdmin(AuditedAdmin):
    list_display = ["path", "team", "group", "user", "due", "due_days"]
    raw_id_fields = ["user", "created_by"]
