"""Django admin for power users: the tree, revisions (read-only history) and tags."""

from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Revision, Section, Tag
from .portal import admin as portal_admin  # noqa: F401 - registers PortalSettings


@admin.register(Section)
class SectionAdmin(TreeAdmin):
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


admin.site.register(Tag)
