"""Views for editing together: presence, autosave, review queue, scheduling,
review-by dates, the audit log and the trash. Thin: editing/services.py does the
work."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import audit
from ..diff import side_by_side
from ..models import AuditEntry, ReviewRequest, Section
from ..permissions import (
    can_delete,
    can_edit,
    can_publish,
    can_read,
    can_restore,
    can_view_audit,
)
from ..sections import selectors, services
from ..sections.forms import RevisionForm
from ..sections.views import _revision_or_404, _section_or_404
from . import services as collaboration
from .forms import AuditFilterForm, ReviewDecisionForm, ScheduleForm


@require_POST
def heartbeat(request, pk):
    """Called every ~20 s by the editor: who else is here, and the current head."""
    section, _ancestors = _section_or_404(request, pk, edit=True)
    others = collaboration.presence_heartbeat(section=section, user=request.user)
    head = section.head_revision
    return JsonResponse(
        {
            "others": others,
            "head": head.number if head else None,
            "head_author": head.author.get_username() if head and head.author else "",
        }
    )


@require_POST
def autosave(request, pk):
    """Keep the editor's unsaved text every few seconds and when the page closes."""
    section, _ancestors = _section_or_404(request, pk, edit=True)
    form = RevisionForm(request.POST, section=section)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    data = form.cleaned_data
    draft = collaboration.draft_autosave(
        section=section,
        user=request.user,
        title=data["title"],
        body=data["body"],
        base=data["base"],
    )
    return JsonResponse(
        {"saved": True, "at": timezone.localtime(draft.updated).strftime("%H:%M:%S")}
    )


@require_POST
def discard_draft(request, pk):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    collaboration.drafts_discard(section=section, user=request.user)
    messages.info(request, _("Your unsaved text was discarded."))
    return redirect("manuals:edit", pk=section.pk)


def review_queue(request):
    """Publishers see what waits for review; editors see their own requests."""
    if not can_edit(request.user) and not can_publish(request.user):
        raise PermissionDenied
    # A title in a list is a read: only reviews of sections the user may read.
    reviews = ReviewRequest.objects.select_related(
        "section", "revision", "requested_by", "reviewer"
    ).filter(section__in=Section.objects.readable_by(request.user).values("pk"))
    pending = reviews.filter(status=ReviewRequest.Status.PENDING)
    if not can_publish(request.user):
        pending = pending.filter(requested_by=request.user)
    mine = reviews.filter(requested_by=request.user).exclude(
        status=ReviewRequest.Status.PENDING
    )[:20]
    return render(
        request,
        "manuals/review_queue.html",
        {"pending": pending, "mine": mine, "can_publish": can_publish(request.user)},
    )


def review_detail(request, review_pk):
    review = get_object_or_404(
        ReviewRequest.objects.select_related("section", "revision", "requested_by"),
        pk=review_pk,
    )
    section, ancestors = _section_or_404(request, review.section_id, edit=True)
    form = ReviewDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not can_publish(request.user):
            raise PermissionDenied
        approve = "approve" in request.POST
        try:
            collaboration.review_decide(
                review=review,
                user=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            form.add_error("comment", exc)
        else:
            messages.success(
                request,
                _("Approved and published.") if approve else _("Changes requested."),
            )
            return redirect("manuals:reviews")
    published = section.published_revision
    old_text = f"{published.title}\n\n{published.body}" if published else ""
    new = review.revision
    return render(
        request,
        "manuals/review_detail.html",
        {
            "review": review,
            "section": section,
            "ancestors": ancestors,
            "rows": side_by_side(old_text, f"{new.title}\n\n{new.body}"),
            "form": form,
            "can_publish": can_publish(request.user),
        },
    )


@require_POST
def schedule(request, pk, number):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    revision = _revision_or_404(section, number)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            item = collaboration.publication_schedule(
                section=section,
                revision=revision,
                user=request.user,
                publish_at=form.cleaned_data["publish_at"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Revision %(n)s will be published at %(when)s.")
                % {
                    "n": revision.number,
                    "when": timezone.localtime(item.publish_at).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                },
            )
    else:
        messages.error(request, _("Enter a valid date and time."))
    return redirect("manuals:revision", pk=section.pk, number=revision.number)


@require_POST
def mark_reviewed(request, pk):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    section = collaboration.section_mark_reviewed(section=section, user=request.user)
    messages.success(
        request,
        _("Marked as reviewed. Next review by %(date)s.")
        % {"date": section.review_by.isoformat()},
    )
    return redirect(section)


def overdue(request):
    """Sections past their review-by date: the user's own, or everyone's."""
    if not can_edit(request.user):
        raise PermissionDenied
    show_all = request.GET.get("all") == "1"
    sections = selectors.overdue_sections(
        request.user, owner=None if show_all else request.user
    )
    page = Paginator(sections, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "manuals/overdue.html",
        {"page": page, "show_all": show_all, "today": timezone.localdate()},
    )


def audit_log(request):
    if not can_view_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.all()
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["user"]:
            entries = entries.filter(username__icontains=data["user"])
        if data["section"]:
            entries = entries.filter(section_id=data["section"])
        if data["since"]:
            entries = entries.filter(created__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(created__date__lte=data["until"])
    entries, hidden = audit.readable_entries(request.user, entries)
    entries = entries.select_related("section")
    if request.GET.get("format") == "csv":
        return _audit_csv(entries)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "manuals/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit.describe_entries(page),
            "query": query.urlencode(),
            "hidden": hidden,
        },
    )


# The most rows one download carries (newest first); narrow the filter for more.
AUDIT_CSV_MAX_ROWS = 20_000


class _Echo:
    def write(self, value):
        return value


def _audit_csv(entries):
    """The filtered log as CSV (UTF-8 with a byte-order mark, which Excel needs to
    read Chinese), the same readable entries the page shows, as sentences."""

    def rows():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(
            [
                _("Time"),
                _("User"),
                _("Action"),
                _("Section"),
                _("What happened"),
                _("Details"),
            ]
        )
        chunk = []
        for entry in entries[:AUDIT_CSV_MAX_ROWS].iterator(chunk_size=500):
            chunk.append(entry)
            if len(chunk) == 500:
                yield from _csv_lines(writer, chunk)
                chunk = []
        yield from _csv_lines(writer, chunk)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _csv_lines(writer, entries):
    for entry, said in audit.describe_entries(entries):
        yield writer.writerow(
            [
                timezone.localtime(entry.created).strftime("%Y-%m-%d %H:%M:%S"),
                entry.username,
                entry.get_action_display(),
                entry.section.title if entry.section_id else entry.object_repr,
                said.sentence,
                " ".join(said.details),
            ]
        )


def trash(request):
    """Deleted subtrees the user could read were they not deleted (admins: all)."""
    if not can_delete(request.user):
        raise PermissionDenied
    user = request.user
    readable = Section.objects.readable_by(user, include_trash=True)
    roots = (
        readable.filter(trashed_at__isnull=False)
        .select_related("trashed_by")
        .order_by("-trashed_at")
    )
    items = []
    for root in roots:
        if not can_restore(user, root):
            continue
        parent = Section.objects.get_parent(root)
        if parent is not None and not can_read(user, parent, include_trash=True):
            parent = None
            parent_hidden = True
        else:
            parent_hidden = False
        items.append(
            {
                "section": root,
                "parent": parent,
                "parent_hidden": parent_hidden,
                "parent_gone": parent is not None and parent.in_trash,
                # A count is a read too: only what the user could open.
                "size": Section.objects.get_tree(root)
                .readable_by(user, include_trash=True)
                .count(),
            }
        )
    return render(
        request,
        "manuals/trash.html",
        {
            "items": items,
            "targets": selectors.move_targets(request.user),
            "can_purge": request.user.is_superuser,
        },
    )


def _trashed_or_404(request, pk):
    section = get_object_or_404(Section, pk=pk, trashed_at__isnull=False)
    if not can_restore(request.user, section):
        raise Http404
    return section


@require_POST
def trash_restore(request, pk):
    if not can_delete(request.user):
        raise PermissionDenied
    section = _trashed_or_404(request, pk)
    parent = None
    if request.POST.get("parent"):
        parent = get_object_or_404(
            Section.objects.readable_by(request.user), pk=request.POST["parent"]
        )
    try:
        section = services.section_restore(
            section=section, user=request.user, parent=parent
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manuals:trash")
    messages.success(request, _("Restored."))
    return redirect(section)


@require_POST
def trash_purge(request, pk):
    if not request.user.is_superuser:
        raise PermissionDenied
    section = _trashed_or_404(request, pk)
    count = services.section_purge(section=section, user=request.user)
    messages.success(request, _("Deleted %(n)s section(s) for good.") % {"n": count})
    return redirect("manuals:trash")
