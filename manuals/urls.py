"""URLs of the manual. A section's URL holds its id; the slug is cosmetic."""

from django.urls import path

from . import block_views, views, workflow_views

app_name = "manuals"

urlpatterns = [
    path("s/<int:pk>/", views.section_detail, name="section_id"),
    path("s/<int:pk>/<str:slug>/", views.section_detail, name="section"),
    path("section/new/", views.section_create, name="create_root"),
    path("section/<int:parent_pk>/new/", views.section_create, name="create_child"),
    path("section/<int:pk>/edit/", views.section_edit, name="edit"),
    path("section/<int:pk>/history/", views.section_history, name="history"),
    path("section/<int:pk>/diff/", views.section_diff, name="diff"),
    path("section/<int:pk>/r/<int:number>/", views.revision_detail, name="revision"),
    path(
        "section/<int:pk>/r/<int:number>/restore/",
        views.revision_restore,
        name="restore",
    ),
    path("section/<int:pk>/publish/", views.section_publish, name="publish"),
    path("section/<int:pk>/settings/", views.section_settings, name="settings"),
    path("section/<int:pk>/move/", views.section_move, name="move"),
    path("section/<int:pk>/delete/", views.section_delete, name="delete"),
    path("section/<int:pk>/children/", views.tree_children, name="tree_children"),
    path("preview/", views.section_preview, name="preview"),
    path("section/<int:pk>/heartbeat/", workflow_views.heartbeat, name="heartbeat"),
    path("section/<int:pk>/autosave/", workflow_views.autosave, name="autosave"),
    path(
        "section/<int:pk>/draft/discard/",
        workflow_views.discard_draft,
        name="discard_draft",
    ),
    path(
        "section/<int:pk>/r/<int:number>/schedule/",
        workflow_views.schedule,
        name="schedule",
    ),
    path(
        "section/<int:pk>/reviewed/",
        workflow_views.mark_reviewed,
        name="mark_reviewed",
    ),
    path("reviews/", workflow_views.review_queue, name="reviews"),
    path("reviews/<int:review_pk>/", workflow_views.review_detail, name="review"),
    path("overdue/", workflow_views.overdue, name="overdue"),
    path("audit/", workflow_views.audit_log, name="audit"),
    path("trash/", workflow_views.trash, name="trash"),
    path("trash/<int:pk>/restore/", workflow_views.trash_restore, name="trash_restore"),
    path("trash/<int:pk>/purge/", workflow_views.trash_purge, name="trash_purge"),
    path("blocks/", block_views.block_list, name="blocks"),
    path("blocks/new/", block_views.block_create, name="block_create"),
    path("blocks/picker/", block_views.block_picker, name="block_picker"),
    path("blocks/<slug:key>/", block_views.block_detail, name="block"),
    path("blocks/<slug:key>/edit/", block_views.block_edit, name="block_edit"),
    path(
        "blocks/<slug:key>/draft/discard/",
        block_views.block_discard_draft,
        name="block_discard_draft",
    ),
    path("blocks/<slug:key>/publish/", block_views.block_publish, name="block_publish"),
    path("blocks/<slug:key>/diff/", block_views.block_diff, name="block_diff"),
    path(
        "blocks/<slug:key>/r/<int:number>/restore/",
        block_views.block_restore,
        name="block_restore",
    ),
    path("blocks/<slug:key>/delete/", block_views.block_delete, name="block_delete"),
    path(
        "section/<int:pk>/pin/<slug:key>/",
        block_views.update_pin,
        name="update_pin",
    ),
]
