from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("watch/section/<int:pk>/", views.watch_section, name="watch_section"),
    path("watch/block/<slug:key>/", views.watch_block, name="watch_block"),
]
