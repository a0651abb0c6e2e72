"""Admin for FAQ categories, entries and questions (editors use the site pages)."""

from django.contrib import admin

from manuals.admin import AuditedAdmin

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


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "asked_by", "status", "created"]
    list_filter = ["status"]
    raw_id_fields = ["asked_by", "section", "entry", "duplicate_of", "handled_by"]
