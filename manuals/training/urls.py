"""Read confirmations: confirming, asking, and who confirmed."""

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
]
