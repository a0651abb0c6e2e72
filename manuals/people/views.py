"""The people screens: accounts, teams, the CSV import, the activity log, and the
set-password page a new person's link opens. Thin: services.py does the work.

A set-password link is shown once: kept in the manager's session for the page
they are sent to after creating or resetting, and gone when it has been shown.
"""

import secrets

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import csvimport, history, invites, selectors, services
from .forms import ApplyForm, ImportForm, TeamForm, UserFilterForm, UserForm
from .models import Team
from .permissions import can_change_user, can_manage_people

User = get_user_model()

INVITE_KEY = "kb_people_invite"
IMPORT_KEY = "kb_people_import"
PER_PAGE = 50


def _require_manager(request) -> None:
    if not can_manage_people(request.user):
        raise PermissionDenied(_("Only managers may manage people."))


def _site_url(request) -> str:
    return request.build_absolute_uri("/")


def _keep_invite(request, invite) -> None:
    request.session[INVITE_KEY] = {
        "user": invite.user.pk,
        "url": invite.url,
        "emailed": invite.emailed,
    }


def _pop_invite(request, user):
    kept = request.session.get(INVITE_KEY)
    if not kept or kept.get("user") != user.pk:
        return None
    del request.session[INVITE_KEY]
    return kept


def _described(entries):
    return [(e, history.describe(e)) for e in entries]


@require_GET
def user_list(request):
    _require_manager(request)
    form = UserFilterForm(request.GET or None)
    users = selectors.user_list(**form.filters())
    page = Paginator(users, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/user_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def user_create(request):
    _require_manager(request)
    form = UserForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invite = services.user_create(
                actor=request.user,
                site_url=_site_url(request),
                send_email=form.cleaned_data["send_email"],
                **form.values(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            _keep_invite(request, invite)
            messages.success(
                request,
                _("The account %(user)s was created.")
                % {"user": invite.user.get_username()},
            )
            return redirect("people:user", pk=invite.user.pk)
    return render(request, "people/user_create.html", {"form": form})


def user_detail(request, pk):
    """One account: its details, the edit form, deactivating, a new password link,
    and what was done to it."""
    _require_manager(request)
    person = get_object_or_404(User, pk=pk)
    may_change = can_change_user(request.user, person)
    if request.method == "POST" and not may_change:
        raise PermissionDenied(_("Only administrators may change this account."))
    form = UserForm(request.POST or None, actor=request.user, user=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=person, **form.values())
        except ValidationError as error:
            person.refresh_from_db()  # the page shows the account as it is
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("people:user", pk=person.pk)
    entries = selectors.activity(user=person)[:50]
    return render(
        request,
        "people/user_detail.html",
        {
            "person": person,
            "form": form,
            "may_change": may_change,
            "invite": _pop_invite(request, person),
            "link_days": invites.link_days(),
            "entries": _described(entries),
        },
    )


@require_POST
def user_active(request, pk):
    _require_manager(request)
    person = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=person, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            (
                _("%(user)s can log in again.")
                if active
                else _("%(user)s is deactivated and can no longer log in.")
            )
            % {"user": person.get_username()},
        )
    return redirect("people:user", pk=person.pk)


@require_POST
def user_password(request, pk):
    _require_manager(request)
    person = get_object_or_404(User, pk=pk)
    try:
        invite = services.user_password_reset(
            actor=request.user,
            user=person,
            site_url=_site_url(request),
            send_email=request.POST.get("send_email") == "1",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _keep_invite(request, invite)
        messages.success(
            request,
            _(
                "The password of %(user)s no longer works; they set a new one with "
                "the link below."
            )
            % {"user": person.get_username()},
        )
    return redirect("people:user", pk=person.pk)


@require_GET
def team_list(request):
    _require_manager(request)
    return render(request, "people/team_list.html", {"teams": selectors.team_list()})


def team_create(request):
    _require_manager(request)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.user, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The team %(team)s was created.") % {"team": team.name}
            )
            return redirect("people:teams")
    return render(request, "people/team_form.html", {"form": form, "team": None})


def team_edit(request, pk):
    _require_manager(request)
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(actor=request.user, team=team, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("people:teams")
    return render(
        request,
        "people/team_form.html",
        {
            "form": form,
            "team": team,
            "entries": _described(selectors.activity(team=team)[:50]),
        },
    )


def team_delete(request, pk):
    _require_manager(request)
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST":
        name = team.name
        services.team_delete(actor=request.user, team=team)
        messages.success(request, _("The team %(team)s was deleted.") % {"team": name})
        return redirect("people:teams")
    return render(
        request,
        "people/team_delete.html",
        {
            "team": team,
            "member_count": team.members.count(),
            "dependents": selectors.team_dependents(team),
        },
    )


def people_import(request):
    """Upload a CSV file and see what it would do; nothing changes yet."""
    _require_manager(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = csvimport.plan(form.text, actor=request.user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            token = secrets.token_urlsafe(16)
            request.session[IMPORT_KEY] = {
                "token": token,
                "text": form.text,
                "name": form.cleaned_data["file"].name[:100],
            }
            return render(
                request,
                "people/import_preview.html",
                {
                    "plan": plan,
                    "apply_form": ApplyForm(initial={"token": token}),
                    "filename": form.cleaned_data["file"].name,
                },
            )
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "max_bytes": csvimport.max_bytes(),
            "max_rows": csvimport.MAX_ROWS,
        },
    )


@require_POST
def people_import_apply(request):
    _require_manager(request)
    form = ApplyForm(request.POST)
    pending = request.session.get(IMPORT_KEY)
    if (
        not form.is_valid()
        or not pending
        or not secrets.compare_digest(pending["token"], form.cleaned_data["token"])
    ):
        messages.error(request, _("That upload has expired; upload the file again."))
        return redirect("people:import")
    del request.session[IMPORT_KEY]
    try:
        result = services.people_import_apply(
            actor=request.user,
            text=pending["text"],
            site_url=_site_url(request),
            send_email=form.cleaned_data["send_email"],
            filename=pending["name"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("people:import")
    return render(
        request,
        "people/import_done.html",
        {"result": result, "link_days": invites.link_days()},
    )


@require_GET
def activity(request):
    _require_manager(request)
    page = Paginator(selectors.activity(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/activity.html",
        {"page": page, "entries": _described(page)},
    )


@method_decorator(login_not_required, name="dispatch")
class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The page a set-password link opens: for new people and after a reset.
    Deactivated accounts get no password."""

    template_name = "people/set_password.html"
    success_url = reverse_lazy("people:set_password_done")

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        services.user_password_set(form=form)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return redirect(self.get_success_url())


@method_decorator(login_not_required, name="dispatch")
class SetPasswordDoneView(auth_views.PasswordResetCompleteView):
    template_name = "people/set_password_done.html"
