"""URLs of the manual. A section's URL holds its id; the slug is cosmetic."""

from django.urls import path

from .blocks import views as blocks
from .editing import views as editing
from .sections import reading_views as reading
from .sections import views as sections

app_name = "manuals"

urlpatterns = [
    path("s/<int:pk>/", sections.section_detail, name="section_id"),
    path("s/<int:pk>/<str:slug>/", sections.section_detail, name="section"),
    path("section/new/", sections.section_create, name="create_root"),
    path("section/<int:parent_pk>/new/", sections.section_create, name="create_child"),
    path("section/<int:pk>/edit/", sections.section_edit, name="edit"),
    path("section/<int:pk>/history/", sections.section_history, name="history"),
    path("section/<int:pk>/diff/", sections.section_diff, name="diff"),
    path("section/<int:pk>/changes/", sections.section_changes, name="changes"),
    path("section/<int:pk>/r/<int:number>/", sections.revision_detail, name="revision"),
    path(
        "section/<int:pk>/r/<int:number>/restore/",
        sections.revision_restore,
        name="restore",
    ),
    path("section/<int:pk>/publish/", sections.section_publish, name="publish"),
    path("section/<int:pk>/settings/", sections.section_settings, name="settings"),
    path("section/<int:pk>/move/", sections.section_move, name="move"),
    path("section/<int:pk>/delete/", sections.section_delete, name="delete"),
    path("section/<int:pk>/children/", sections.tree_children, name="tree_children"),
    path("section/<int:pk>/favourite/", reading.favourite, name="favourite"),
    path("favourites/", reading.favourites, name="favourites"),
    path("preview/", sections.section_preview, name="preview"),
    path("section/<int:pk>/heartbeat/", editing.heartbeat, name="heartbeat"),
    path("section/<int:pk>/autosave/", editing.autosave, name="autosave"),
    path(
        "section/<int:pk>/draft/discard/",
        editing.discard_draft,
        name="discard_draft",
    ),
    path(
        "section/<int:pk>/r/<int:number>/schedule/",
        editing.schedule,
        name="schedule",
    ),
    path(
        "section/<int:pk>/reviewed/",
        editing.mark_reviewed,
        name="mark_reviewed",
    ),
    path("reviews/", editing.review_queue, name="reviews"),
    path("reviews/<int:review_pk>/", editing.review_detail, name="review"),
    path("overdue/", editing.overdue, name="overdue"),
    path("audit/", editing.audit_log, name="audit"),
    path("trash/", editing.trash, name="trash"),
    path("trash/<int:pk>/restore/", editing.trash_restore, name="trash_restore"),
    path("trash/<int:pk>/purge/", editing.trash_purge, name="trash_purge"),
    path("blocks/", blocks.block_list, name="blocks"),
    path("blocks/new/", blocks.block_create, name="block_create"),
    path("blocks/picker/", blocks.block_picker, name="block_picker"),
    path("blocks/<slug:key>/", blocks.block_detail, name="block"),
    path("blocks/<slug:key>/edit/", blocks.block_edit, name="block_edit"),
    path(
        "blocks/<slug:key>/draft/discard/",
        blocks.block_discard_draft,
        name="block_discard_draft",
    ),
    path("blocks/<slug:key>/publish/", blocks.block_publish, name="block_publish"),
    path("blocks/<slug:key>/diff/", blocks.block_diff, name="block_diff"),
    path(
        "blocks/<slug:key>/r/<int:number>/restore/",
        blocks.block_restore,
        name="block_restore",
    ),
    path("blocks/<slug:key>/delete/", blocks.block_delete, name="block_delete"),
    path(
        "section/<int:pk>/pin/<slug:key>/",
        blocks.update_pin,
        name="update_pin",
    ),
]
