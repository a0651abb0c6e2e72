"""Read confirmations (confirming, asking, who confirmed), learning paths, and
an agent's own training."""

from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("section/<int:pk>/confirm/", views.confirm, name="confirm"),
    path(
        "section/<int:pk>/request/",
        views.request_confirmations,
        name="request",
    ),
    path("section/<int:pk>/confirmations/", views.status, name="status"),
    path("section/<int:pk>/confirmations.csv", views.status_csv, name="status_csv"),
    path("mine/", views.my_training, name="mine"),
    path("paths/", views.paths, name="paths"),
    path("paths/<int:pk>/", views.path_detail, name="path"),
]
