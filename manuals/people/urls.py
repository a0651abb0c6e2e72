from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.user_list, name="index"),
    path("new/", views.user_create, name="user_create"),
    path("<int:pk>/", views.user_detail, name="user"),
    path("<int:pk>/active/", views.user_active, name="user_active"),
    path("<int:pk>/password/", views.user_password, name="user_password"),
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_edit, name="team"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("import/", views.people_import, name="import"),
    path("import/apply/", views.people_import_apply, name="import_apply"),
    path("activity/", views.activity, name="activity"),
    # Opened from the link a new person is sent: before they can log in.
    path(
        "set-password/<uidb64>/<token>/",
        views.SetPasswordView.as_view(),
        name="set_password",
    ),
    path(
        "set-password/done/",
        views.SetPasswordDoneView.as_view(),
        name="set_password_done",
    ),
]
