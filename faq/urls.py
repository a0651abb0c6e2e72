"""URLs of the FAQ and of agents' questions."""

from django.urls import path

from . import views

app_name = "faq"

urlpatterns = [
    path("", views.faq_index, name="index"),
    path("new/", views.entry_create, name="create"),
    path("<int:pk>/", views.entry_detail, name="entry"),
    path("<int:pk>/edit/", views.entry_edit, name="edit"),
    path("ask/", views.ask, name="ask"),
    path("mine/", views.my_questions, name="mine"),
    path("questions/", views.question_queue, name="queue"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
]
