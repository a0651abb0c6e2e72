"""Import and export pages for editors: upload, preview the tree, confirm; download
the static portal (editors) or a subtree as Markdown (administrators).

Uploads wait in the data folder under a random token kept in the uploader's session
until they confirm or upload something else; nothing reaches the tree before the
confirmation, and the confirmation reads the file again (the preview is not trusted).
"""

import secrets
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import Section
from ..permissions import can_create
from .export_static import ExportError, export_portal
from .forms import ConfirmForm, UploadForm
from .importer import apply, check, read_source
from .manual_export import AUDIENCES, export_manual
from .problems import ImportFailed

SESSION_KEY = "kb_import"


def _require_editor(request) -> None:
    if not can_create(request.user):
        raise PermissionDenied(_("Only editors may import and export."))


def _pending_root() -> Path:
    return Path(settings.KB_DATA_DIR) / "imports" / "pending"


def _discard(request) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        shutil.rmtree(_pending_root() / pending["token"], ignore_errors=True)


def _pending(request, token):
    pending = request.session.get(SESSION_KEY)
    if not pending or not secrets.compare_digest(pending["token"], token):
        raise Http404(_("That upload has expired; upload the file again."))
    return pending


def index(request):
    _require_editor(request)
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        _discard(request)
        token = secrets.token_urlsafe(16)
        upload = form.cleaned_data["file"]
        folder = _pending_root() / token
        folder.mkdir(parents=True)
        name = Path(upload.name).name
        with (folder / name).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        request.session[SESSION_KEY] = {
            "token": token,
            "name": name,
            "parent": form.cleaned_data["parent"],
            "split_level": form.cleaned_data["split_level"],
        }
        return redirect("transfer:preview", token=token)
    context = {
        "form": form,
        "limit": settings.KB_IMPORT_MAX_UPLOAD_BYTES,
        "roots": Section.objects.get_root_nodes().filter(in_trash=False),
        "can_export_manual": request.user.is_superuser,
    }
    return render(request, "manuals/transfer/index.html", context)


def _plan(pending):
    path = _pending_root() / pending["token"] / pending["name"]
    parent = None
    if pending["parent"]:
        parent = Section.objects.filter(pk=pending["parent"], in_trash=False).first()
    plan = read_source(path, split_level=pending["split_level"], name=pending["name"])
    check(plan, parent=parent)
    return plan, parent


def preview(request, token):
    _require_editor(request)
    pending = _pending(request, token)
    plan, parent = _plan(pending)
    # Not `request.POST or None`: a confirmation without "skip" is an empty POST.
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = apply(
                plan,
                parent=parent,
                user=request.user,
                partial=form.cleaned_data["partial"],
            )
        except ImportFailed as exc:
            messages.error(request, _("Nothing was imported; see the problems below."))
            plan.problems = exc.problems
        else:
            _discard(request)
            messages.success(
                request,
                _("Imported %(count)s sections.") % {"count": len(result.created)},
            )
            if result.created:
                return redirect(result.created[0].get_absolute_url())
            return redirect("transfer:index")
    context = {
        "plan": plan,
        "parent": parent,
        "pending": pending,
        "form": form,
        "token": token,
        "parent_missing": bool(pending["parent"]) and parent is None,
    }
    return render(request, "manuals/transfer/preview.html", context)


@require_POST
def cancel(request, token):
    _require_editor(request)
    _pending(request, token)
    _discard(request)
    messages.info(request, _("The upload was discarded."))
    return redirect("transfer:index")


def _download(build, filename: str):
    """Build a zip in a temporary folder and stream it; the file goes when read."""
    folder = Path(tempfile.mkdtemp(prefix="kb-export-"))
    path = folder / "export.zip"
    try:
        build(path)
        handle = path.open("rb")
    finally:
        # Unlinking an open file is fine on POSIX: the response still reads it.
        shutil.rmtree(folder, ignore_errors=True)
    return FileResponse(handle, as_attachment=True, filename=filename)


@require_POST
def portal_download(request):
    """The static portal as a zip (public text only, so any editor may have it)."""
    _require_editor(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    try:
        return _download(lambda path: export_portal(path), f"help-portal-{stamp}.zip")
    except ExportError as exc:
        messages.error(request, str(exc))
        return redirect("transfer:index")


@require_POST
def manual_download(request):
    """A subtree as Markdown, of the chosen audience: administrators only."""
    if not request.user.is_superuser:
        raise PermissionDenied(_("Only administrators may export internal text."))
    section = get_object_or_404(Section, pk=request.POST.get("section"), in_trash=False)
    visibility = request.POST.get("visibility", "internal")
    if visibility not in AUDIENCES:
        raise Http404
    drafts = request.POST.get("drafts") == "1"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _download(
        lambda path: export_manual(
            path, roots=[section], visibility=visibility, drafts=drafts
        ),
        f"manual-{section.pk}-{visibility}-{stamp}.zip",
    )
