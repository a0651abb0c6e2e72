"""Admin for survey answers and gaps; raw events are left to the dashboard."""

from django.contrib import admin

from .models import ArticleFeedback, Gap


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    list_display = ["section", "revision", "helpful", "rating", "status", "created"]
    list_filter = ["status", "helpful", "audience"]
    raw_id_fields = [
        "section",
        "revision",
        "user",
        "assignee",
        "resolved_by",
        "resolved_revision",
    ]


@admin.register(Gap)
class GapAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "status", "assignee", "resolved_at"]
    list_filter = ["kind", "status"]
