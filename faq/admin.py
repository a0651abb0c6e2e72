"""Admin for FAQ categories, entries and questions (editors use the site pages).

Entry changes bring along what the site's services do: where-used rows of the
blocks an answer embeds, and the search index."""

from django.contrib import admin

from manuals.admin_base import AuditedAdmin

from . import services
from .models import Category, Entry, Question


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "order"]


@admin.register(Entry)
class EntryAdmin(AuditedAdmin):
    list_display = ["question", "category", "order", "visibility", "updated"]
    list_filter = ["visibility", "category"]
    search_fields = ["question"]
    raw_id_fields = ["related_sections", "created_by"]

    def after_save(self, request, obj, change):
        services.entry_apply_outside_change(entry=obj)

    def delete_model(self, request, obj):
        # The service audits, drops the where-used rows and the index document.
        services.entry_delete(entry=obj, user=request.user)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "asked_by", "status", "created"]
    list_filter = ["status"]
    raw_id_fields = ["asked_by", "section", "entry", "duplicate_of", "handled_by"]
