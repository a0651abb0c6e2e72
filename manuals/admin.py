"""Django admin for power users: the tree, revisions (read-only history) and tags.

Changes made here go through the services, or have the same after-commit effects
(audit entry, visibility clamped down the tree, where-used rows, search index), so
the site, its caches and search never disagree with the admin.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .admin_base import AuditedAdmin
from .models import Media, Revision, Section, Tag
from .sections import services


@admin.register(Section)
class SectionAdmin(AuditedAdmin, TreeAdmin):
    form = movenodeform_factory(
        Section, exclude=["head_revision", "published_revision"]
    )
    list_display = ["title", "kind", "visibility", "published_at"]
    list_filter = ["kind", "visibility"]
    search_fields = ["title"]
    filter_horizontal = ["groups", "tags"]

    def after_save(self, request, obj, change):
        # A visibility or group change must reach the subtree and the index.
        services.section_apply_outside_change(section=obj)

    def delete_model(self, request, obj):
        # For good, with its subtree and history, as purging the trash does (which
        # also writes the audit entry and takes the subtree out of the index).
        if not Section.objects.filter(pk=obj.pk).exists():
            return  # went with an ancestor deleted just before it
        services.section_purge(section=obj, user=request.user, from_trash=False)

    def move_node(self, request):
        """Drag and drop in the tree list: moved by the service (permission,
        visibility clamped, audit, search), answered as treebeard's view is."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            node = Section.objects.get(pk=int(request.POST.get("node", "")))
            target = Section.objects.get(pk=int(request.POST.get("target", "")))
        except (ValueError, Section.DoesNotExist):
            messages.error(request, _("Invalid form data provided"))
            return HttpResponseBadRequest("Invalid form data provided")
        relation = request.POST.get("relation")
        position = {"child": "last-child", "sibling": "before"}.get(relation)
        if position is None:
            return HttpResponseBadRequest("Invalid form data provided")
        try:
            services.section_move(
                section=node, target=target, position=position, user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseBadRequest("Exception raised during move")
        messages.info(
            request,
            _("Moved “%(node)s” next to or into “%(other)s”.")
            % {"node": node, "other": target},
        )
        return HttpResponse("OK")


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


@admin.register(Tag)
class TagAdmin(AuditedAdmin):
    """Section documents carry their tags: renaming or deleting one re-indexes the
    sections that have it."""

    search_fields = ["name"]

    def after_save(self, request, obj, change):
        services.sections_reindex(ids=obj.section_set.values_list("pk", flat=True))

    def before_delete(self, request, obj):
        return list(obj.section_set.values_list("pk", flat=True))

    def after_delete(self, request, obj, before):
        services.sections_reindex(ids=before)


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
