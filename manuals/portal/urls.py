"""URLs of the public help portal, mounted at /help/."""

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("a/<int:pk>/", views.article, name="article_id"),
    path("a/<int:pk>/<str:slug>/", views.article, name="article"),
    path("faq/", views.faq, name="faq"),
    path("faq/<str:key>/", views.faq_category, name="faq_category"),
    path("search/", views.search, name="search"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
