"""The notification list, opening one, marking all read, preferences, watching."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manuals import permissions
from manuals.models import Block, Section

from . import selectors, services
from .forms import PreferenceForm


def index(request):
    unread_only = request.GET.get("unread") == "1"
    rows = selectors.for_user(user=request.user, unread_only=unread_only)
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    items, hidden = selectors.readable(user=request.user, notifications=page)
    return render(
        request,
        "notifications/index.html",
        {
            "page": page,
            "items": items,
            "hidden": hidden,
            "unread_only": unread_only,
        },
    )


@require_POST
def open_notification(request, pk):
    """Mark it read and follow its link (readable subjects only)."""
    notification = get_object_or_404(selectors.for_user(user=request.user), pk=pk)
    services.notifications_mark_read(user=request.user, ids=[notification.pk])
    items, _hidden = selectors.readable(user=request.user, notifications=[notification])
    url = items[0].url if items else ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return redirect(url)
    return redirect("notifications:index")


@require_POST
def mark_all_read(request):
    count = services.notifications_mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications:index")


def preferences(request):
    form = PreferenceForm(
        request.POST or None, instance=services.preference_for(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        services.preference_update(user=request.user, form=form)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def _next(request, fallback):
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@require_POST
def watch_section(request, pk):
    section = get_object_or_404(Section.objects.filter(in_trash=False), pk=pk)
    if not permissions.can_read(request.user, section):
        raise Http404
    action = request.POST.get("action", "watch")
    if action not in ("watch", "watch_subtree", "unwatch"):
        raise Http404
    services.watch_set(
        user=request.user,
        section=section,
        watching=action != "unwatch",
        subtree=action == "watch_subtree",
    )
    selectors.forget_session_watches(request.session)
    if action == "unwatch":
        messages.success(request, _("You no longer watch this section."))
    elif action == "watch_subtree":
        messages.success(
            request, _("You will be told when this section or a subsection changes.")
        )
    else:
        messages.success(request, _("You will be told when this section changes."))
    return redirect(_next(request, section.get_absolute_url()))


@require_POST
def watch_block(request, key):
    block = get_object_or_404(Block, key=key)
    if not permissions.can_read_block(request.user, block):
        raise Http404
    watching = request.POST.get("action", "watch") != "unwatch"
    services.watch_set(user=request.user, block=block, watching=watching)
    selectors.forget_session_watches(request.session)
    messages.success(
        request,
        _("You will be told when this block changes.")
        if watching
        else _("You no longer watch this block."),
    )
    return redirect(_next(request, block.get_absolute_url()))
