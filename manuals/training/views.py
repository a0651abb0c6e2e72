"""Confirming a section, asking for confirmations, the owner's status page; the
trainer's path screens and an agent's "My training"."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from manuals import permissions
from manuals.models import Section

from . import panels, selectors, services
from .forms import AssignForm, ConfirmationRequestForm, PathForm, StepForm
from .models import LearningPath


def _readable(request, pk) -> Section:
    section = get_object_or_404(
        Section.objects.select_related("published_revision", "owner"), pk=pk
    )
    if not permissions.can_read(request.user, section):
        raise Http404
    return section


def _manageable(request, pk) -> Section:
    section = _readable(request, pk)
    if not services.can_request(request.user, section):
        raise PermissionDenied
    return section


@require_POST
@login_required
def confirm(request, pk):
    section = _readable(request, pk)
    try:
        services.confirmation_give(section=section, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        panels.forget_owed(request, section.pk)
        messages.success(request, _("Thank you: your confirmation is recorded."))
    return redirect(section)


@login_required
def request_confirmations(request, pk):
    section = _manageable(request, pk)
    form = ConfirmationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.confirmation_request(
                section=section,
                user=request.user,
                team=data["team"],
                group=data["group"],
                due=data["due"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Confirmations requested."))
            return redirect("training:status", pk=section.pk)
    return render(
        request, "training/request_form.html", {"section": section, "form": form}
    )


@login_required
def status(request, pk):
    section = _manageable(request, pk)
    rows = selectors.section_status(section)
    counts = {
        key: sum(1 for r in rows if r.status == key)
        for key in (selectors.CONFIRMED, selectors.OUTDATED, selectors.NOT_YET)
    }
    return render(
        request,
        "training/status.html",
        {"section": section, "rows": rows, "counts": counts},
    )


@login_required
def status_csv(request, pk):
    section = _manageable(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="confirmations-{section.pk}.csv"'
    )
    response.write("\ufeff")  # spreadsheets read UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [_("User"), _("Name"), _("Status"), _("Revision"), _("Confirmed"), _("Due")]
    )
    labels = {
        selectors.CONFIRMED: _("Confirmed"),
        selectors.OUTDATED: _("Confirmed an older meaning"),
        selectors.NOT_YET: _("Not yet"),
    }
    for row in selectors.section_status(section):
        c = row.confirmation
        writer.writerow(
            [
                _csv_safe(row.user.get_username()),
                _csv_safe(row.user.get_full_name()),
                labels[row.status],
                c.revision_number if c else "",
                c.created.isoformat() if c else "",
                row.due.isoformat() if row.due else "",
            ]
        )
    return response


def _csv_safe(value: str) -> str:
    # A cell a spreadsheet would run as a formula is written as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# --- learning paths -------------------------------------------------------------


def _trainer(request):
    if not services.can_manage_training(request.user):
        raise PermissionDenied


@login_required
def my_training(request):
    return render(
        request,
        "training/mine.html",
        {
            "progress": selectors.my_training(request.user),
            "can_manage": services.can_manage_training(request.user),
        },
    )


@login_required
def paths(request):
    _trainer(request)
    form = PathForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            path = services.path_create(
                user=request.user,
                name=data["name"],
                level=data["level"],
                description=data["description"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Path created. Now add its steps."))
            return redirect(path)
    return render(
        request,
        "training/paths.html",
        {
            "paths": LearningPath.objects.prefetch_related("steps", "assignments"),
            "form": form,
        },
    )


@login_required
def path_detail(request, pk):
    """The trainer's page of one path: its settings, steps and assignments; each
    form posts here with its own button name."""
    _trainer(request)
    path = get_object_or_404(LearningPath, pk=pk)
    user = request.user
    post = request.POST if request.method == "POST" else None
    settings_form = PathForm(
        post if post and "save_path" in post else None,
        initial={
            "name": path.name,
            "level": path.level,
            "description": path.description,
            "active": path.active,
        },
    )
    step_form = StepForm(
        post if post and "add_step" in post else None, user=user, path=path
    )
    assign_form = AssignForm(post if post and "assign" in post else None)
    if post:
        try:
            if "save_path" in post and settings_form.is_valid():
                services.path_update(path=path, user=user, **settings_form.cleaned_data)
                messages.success(request, _("Path saved."))
                return redirect(path)
            if "add_step" in post and step_form.is_valid():
                services.step_add(path=path, user=user, **step_form.cleaned_data)
                messages.success(request, _("Step added."))
                return redirect(path)
            if "assign" in post and assign_form.is_valid():
                services.path_assign(path=path, user=user, **assign_form.cleaned_data)
                messages.success(request, _("Path assigned."))
                return redirect(path)
            if "remove_step" in post:
                step = get_object_or_404(path.steps, pk=post.get("remove_step"))
                services.step_remove(step=step, user=user)
                messages.success(request, _("Step removed."))
                return redirect(path)
        except ValidationError as exc:
            target = (
                settings_form
                if "save_path" in post
                else step_form
                if "add_step" in post
                else assign_form
            )
            target.add_error(None, exc)
    readable = set(Section.objects.visible_to(user).values_list("pk", flat=True))
    return render(
        request,
        "training/path_detail.html",
        {
            "path": path,
            "steps": path.steps.select_related("section", "prerequisite"),
            "readable": readable,
            "assignments": path.assignments.select_related("team", "group", "user"),
            "report": selectors.path_report(path),
            "settings_form": settings_form,
            "step_form": step_form,
            "assign_form": assign_form,
        },
    )
