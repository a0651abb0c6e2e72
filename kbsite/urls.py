"""Root URLs."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from manuals.portal import views as portal_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch must work before logging in too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("search/", include("manuals.search.urls")),
    path("feedback/", include("feedback.urls")),
    path("faq/", include("faq.urls")),
    path("help/", include("manuals.portal.urls")),
    path("transfer/", include("manuals.transfer.urls")),
    path("notifications/", include("manuals.notifications.urls")),
    path("people/", include("manuals.people.urls")),
    path("training/", include("manuals.training.urls")),
    # Crawlers look for these at the root; both describe the public portal only.
    path("sitemap.xml", portal_views.sitemap, name="sitemap"),
    path("robots.txt", portal_views.robots_txt, name="robots"),
    # Uploaded images, each served with its owner's read rule (kbsite.views.media):
    # a web server must not serve MEDIA_ROOT itself.
    path(
        settings.MEDIA_URL.lstrip("/") + "<path:path>",
        views.media,
        name="media",
    ),
    path("", include("manuals.urls")),
]

# A full disk met outside a view (saving the session) gets the 503 page too.
handler500 = "kbsite.middleware.server_error"
