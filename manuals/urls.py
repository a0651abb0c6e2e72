"""URLs of the manual. A section's URL holds its id; the slug is cosmetic."""

from django.urls import path

from . import views

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
]
