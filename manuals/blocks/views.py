"""Views of the blocks library. Thin: blocks/services.py does the work."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..diff import side_by_side
from ..editing.flow import EditPage, edit_with_merge
from ..models import Block, BlockRevision
from ..permissions import can_edit, can_read_block, can_read_internal
from ..rendering import render_revision
from ..sections.views import _after_save, _section_or_404
from . import services as blocks
from .forms import BlockCreateForm, BlockRevisionForm


def _visible_blocks(user):
    for block in Block.objects.prefetch_related("groups").select_related(
        "published_revision", "head_revision"
    ):
        if can_read_block(user, block):
            yield block


def _block_or_404(request, key):
    if not can_read_internal(request.user):
        raise PermissionDenied
    block = get_object_or_404(
        Block.objects.select_related(
            "published_revision", "head_revision", "owner"
        ).prefetch_related("groups"),
        key=key,
    )
    if not can_read_block(request.user, block):
        raise Http404
    return block


def _editable_block_or_404(request, key):
    block = _block_or_404(request, key)
    if not blocks.can_edit_block(request.user):
        raise PermissionDenied
    return block


def block_list(request):
    if not can_read_internal(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:100]
    items = list(_visible_blocks(request.user))
    if query:
        q = query.lower()
        items = [b for b in items if q in b.key.lower() or q in b.title.lower()]
    return render(
        request,
        "manuals/blocks/list.html",
        {
            "blocks": items,
            "q": query,
            "can_create": request.user.has_perm("manuals.add_block"),
            "can_edit": blocks.can_edit_block(request.user),
        },
    )


def block_picker(request):
    """JSON for the editor's block picker: blocks matching ?q=, by key."""
    if not can_edit(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip().lower()[:100]
    results = []
    for block in _visible_blocks(request.user):
        if (
            query
            and query not in block.key.lower()
            and query not in block.title.lower()
        ):
            continue
        results.append(
            {
                "key": block.key,
                "title": block.title,
                "visibility": block.get_visibility_display(),
                "directive": block.directive,
                "revision": block.published_revision.number
                if block.published_revision
                else None,
            }
        )
        if len(results) >= 20:
            break
    return JsonResponse({"results": results})


def block_create(request):
    if not request.user.has_perm("manuals.add_block"):
        raise PermissionDenied
    form = BlockCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            block = blocks.block_create(
                key=data["key"],
                title=data["title"],
                body=data["body"],
                visibility=data["visibility"],
                groups=data["groups"],
                user=request.user,
                publish="publish" in request.POST
                and blocks.can_publish_block(request.user),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Block created."))
            return redirect(block)
    return render(
        request,
        "manuals/blocks/form.html",
        {
            "form": form,
            "creating": True,
            "can_publish": blocks.can_publish_block(request.user),
        },
    )


def block_detail(request, key):
    block = _block_or_404(request, key)
    may_edit = blocks.can_edit_block(request.user)
    # Readers see the published revision only; drafts and history are for editors.
    revision = (
        (block.published_revision or block.head_revision)
        if may_edit
        else block.published_revision
    )
    rendered = (
        render_revision(revision, request.user, editor=may_edit) if revision else None
    )
    revisions = (
        block.revisions.select_related("author").order_by("-number")[:50]
        if may_edit
        else []
    )
    return render(
        request,
        "manuals/blocks/detail.html",
        {
            "kb_block": block,
            "rendered": rendered,
            "usages": blocks.block_usages(block=block, user=request.user),
            "revisions": revisions,
            "can_edit": may_edit,
            "can_publish": blocks.can_publish_block(request.user),
            "can_delete": request.user.has_perm("manuals.delete_block"),
        },
    )


def block_edit(request, key):
    block = _editable_block_or_404(request, key)
    head = block.head_revision

    def saved(result, data):
        messages.success(request, _("Saved."))
        if "publish" in request.POST and blocks.can_publish_block(request.user):
            return redirect("manuals:block_publish", key=block.key)
        return redirect(block)

    outcome = edit_with_merge(
        request,
        form=lambda data=None, initial=None: BlockRevisionForm(
            data, block=block, initial=initial
        ),
        initial={
            "title": head.title if head else block.title,
            "body": head.body if head else "",
            "base": head,
        },
        kept=blocks.block_pending_draft(block=block, user=request.user),
        restored=lambda draft: {
            "title": draft.title,
            "body": draft.body,
            "base": draft.base,
            "resolves": draft.pk,
        },
        save=lambda data: blocks.block_save(
            block=block,
            user=request.user,
            title=data["title"],
            body=data["body"],
            base=data["base"],
            message=data["message"],
            resolves=data["resolves"],
            minor=data["minor"],
            material=data["material"],
        ),
        saved=saved,
    )
    if not isinstance(outcome, EditPage):
        return outcome
    return render(
        request,
        "manuals/blocks/form.html",
        {
            "form": outcome.form,
            "kb_block": block,
            "creating": False,
            "conflict": outcome.conflict,
            "draft": outcome.draft,
            "can_publish": blocks.can_publish_block(request.user),
        },
    )


@require_POST
def block_discard_draft(request, key):
    """Throw away the text kept from a colliding save (the editor chose to)."""
    block = _editable_block_or_404(request, key)
    if blocks.block_discard_drafts(block=block, user=request.user):
        messages.success(request, _("Your kept text was discarded."))
    return redirect("manuals:block_edit", key=block.key)


def block_publish(request, key):
    """Show what publishing the latest revision changes; publish on confirmation."""
    block = _block_or_404(request, key)
    if not blocks.can_publish_block(request.user):
        raise PermissionDenied
    revision = block.head_revision
    if request.method == "POST":
        ids = blocks.block_publish(block=block, revision=revision, user=request.user)
        messages.success(
            request,
            _("Block published; %(n)s section(s) following it now show the new text.")
            % {"n": len(ids)},
        )
        return redirect(block)
    return render(
        request,
        "manuals/blocks/publish.html",
        {
            "kb_block": block,
            "revision": revision,
            "impact": blocks.block_impact(
                block=block, revision=revision, user=request.user
            ),
        },
    )


def block_diff(request, key):
    # Any two revisions, drafts included: for those who may edit the block.
    block = _editable_block_or_404(request, key)
    try:
        a, b = int(request.GET.get("a", 0)), int(request.GET.get("b", 0))
    except ValueError as exc:
        raise Http404 from exc
    old = get_object_or_404(BlockRevision, block=block, number=min(a, b))
    new = get_object_or_404(BlockRevision, block=block, number=max(a, b))
    return render(
        request,
        "manuals/blocks/diff.html",
        {
            "kb_block": block,
            "old": old,
            "new": new,
            "rows": side_by_side(old.body, new.body),
        },
    )


@require_POST
def block_restore(request, key, number):
    block = _editable_block_or_404(request, key)
    revision = get_object_or_404(BlockRevision, block=block, number=number)
    new = blocks.block_restore(revision=revision, user=request.user)
    messages.success(
        request,
        _("Revision %(old)s restored as revision %(new)s.")
        % {"old": revision.number, "new": new.number},
    )
    return redirect(block)


def block_delete(request, key):
    block = _block_or_404(request, key)
    if not request.user.has_perm("manuals.delete_block"):
        raise PermissionDenied
    if request.method == "POST":
        blocks.block_delete(block=block, user=request.user)
        messages.success(request, _("Block deleted."))
        return redirect("manuals:blocks")
    return render(
        request,
        "manuals/blocks/delete.html",
        {
            "kb_block": block,
            "usages": blocks.block_usages(block=block, user=request.user),
        },
    )


@require_POST
def update_pin(request, pk, key):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    block = _editable_block_or_404(request, key)
    result = blocks.pin_update(section=section, block=block, user=request.user)
    return _after_save(request, section, result)
