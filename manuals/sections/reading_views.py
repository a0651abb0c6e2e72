"""A reader's own pages: starring a section, and the list of their favourites."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..models import Section
from ..permissions import can_read
from . import reading
from .navigation import page_navigation


def _next(request, fallback: str) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@require_POST
def favourite(request, pk):
    """Star or unstar a section the user may read (404 otherwise: nobody learns what
    exists). `action` is add or remove, as the page showed it; without one, toggle."""
    section = get_object_or_404(Section.objects.filter(in_trash=False), pk=pk)
    if not can_read(request.user, section):
        raise Http404
    action = request.POST.get("action", "")
    if action not in ("add", "remove", ""):
        raise Http404
    if not action:
        action = "remove" if section.pk in reading.favourite_ids(request) else "add"
    if action == "add":
        reading.favourite_add(user=request.user, section=section)
        messages.success(request, _("Added to your favourites."))
    else:
        reading.favourite_remove(user=request.user, section=section)
        messages.success(request, _("Removed from your favourites."))
    reading.remember_favourite(request, section.pk, action == "add")
    return redirect(_next(request, section.get_absolute_url()))


@require_safe
def favourites(request):
    """Every favourite the user may still read."""
    return render(
        request,
        "manuals/favourites.html",
        {
            **page_navigation(request.user),
            "favourites": reading.favourites_for(
                user=request.user, limit=reading.FAVOURITES_KEPT
            ),
        },
    )
