"""Views that belong to no app: the home page."""

from django.shortcuts import render

from manuals import selectors
from manuals.permissions import can_create


def home(request):
    return render(
        request,
        "home.html",
        {
            "manuals": selectors.manuals_for(request.user),
            "recent": selectors.recently_updated(request.user, limit=12),
            "sidebar": selectors.sidebar_tree(request.user, None),
            "can_create": can_create(request.user),
        },
    )
