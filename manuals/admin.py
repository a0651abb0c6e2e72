"""Django admin for power users: the tree, revisions (read-only history) and tags."""

from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from . import audit
from .models import AuditEntry, Media, Revision, Section, Tag


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the Django admin goes into the audit log, as the
    services' changes do. That also moves the change stamp, so cached pages
    (manuals.navigation) show admin changes at once."""

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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # m2m (groups) too
        self._audit(request, form.instance, "edit" if change else "create")

    def delete_model(self, request, obj):
        self._audit(request, obj, "delete", id=obj.pk)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete", id=obj.pk)
        super().delete_queryset(request, queryset)


@admin.register(Section)
class SectionAdmin(AuditedAdmin, TreeAdmin):
    form = movenodeform_factory(
        Section, exclude=["head_revision", "published_revision"]
    )
    list_display = ["title", "kind", "visibility", "published_at"]
    list_filter = ["kind", "visibility"]
    search_fields = ["title"]
    filter_horizontal = ["groups", "tags"]


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["section", "number", "title", "author", "created"]
    list_select_related = ["section", "author"]
    search_fields = ["title"]

    # History is immutable: admins can read revisions, never change them.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def move_node(self, request):
        # Drag and drop in the tree list moves without the change form.
        response = super().move_node(request)
        if response.status_code == 200:
            node = Section.objects.get(pk=request.POST["node"])
            self._audit(request, node, "move")
        return response


admin.site.register(Tag, AuditedAdmin)


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    """Read-only: media comes from imports and the editor, and goes with its owner."""

    list_display = ["file", "content_type", "size", "section", "block", "created"]
    list_select_related = ["section", "block"]
    search_fields = ["file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from .portal import admin as portal_admin  # noqa: E402, F401 - registers PortalSettings
