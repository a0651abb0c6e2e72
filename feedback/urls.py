"""URLs of the survey, the search-click redirect and the managers' dashboard."""

from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("survey/<int:pk>/", views.survey_submit, name="survey"),
    path("survey/<int:pk>/static/", views.survey_submit_static, name="survey_static"),
    path("click/", views.search_click, name="click"),
    path("", views.dashboard, name="dashboard"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.feedback_detail, name="detail"),
    path("gaps/", views.gaps, name="gaps"),
    path("gaps/action/", views.gap_action, name="gap_action"),
    path("content/", views.content, name="content"),
    path("content/<int:pk>/", views.content_section, name="content_section"),
    path("search/", views.search_report, name="search"),
]
