"""URLs of search: /search/ (results), /search/suggest/ (JSON), /search/help/,
/search/keys/ (keyboard shortcuts)."""

from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("", views.search, name="results"),
    path("suggest/", views.suggest, name="suggest"),
    path("help/", views.search_help, name="help"),
    path("keys/", views.keyboard_help, name="keys"),
]
