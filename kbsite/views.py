"""Views that belong to no app: the home page and imported media."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.static import serve

from manuals.navigation import page_navigation
from manuals.permissions import can_create


def home(request):
    return render(
        request,
        "home.html",
        {
            **page_navigation(request.user),  # with the manuals and recent changes
            "can_create": can_create(request.user),
        },
    )


@login_not_required
def media(request, path):
    """Files under MEDIA_ROOT (images imported from Word). Django's `serve` refuses
    paths that leave the folder and lists no directories."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
