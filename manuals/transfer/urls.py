"""URLs of the import and export page for editors, mounted at /transfer/."""

from django.urls import path

from . import views

app_name = "transfer"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/<str:token>/", views.preview, name="preview"),
    path("import/<str:token>/cancel/", views.cancel, name="cancel"),
    path("export/portal/", views.portal_download, name="portal_download"),
    path("export/manual/", views.manual_download, name="manual_download"),
]
