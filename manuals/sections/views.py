"""Views of the manual: reading, editing, history, moving. Services do the work."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import directives
from ..audience import ANONYMOUS, takes_groups
from ..cache import NAVIGATION_SECONDS, change_stamp, key
from ..diff import side_by_side
from ..editing import services as collaboration
from ..editing.flow import EditPage, edit_with_merge
from ..kinds import starting_bodies, starting_body
from ..models import Block, Draft, Kind, Revision, Section, Visibility
from ..permissions import (
    audience_key,
    can_create,
    can_delete,
    can_edit,
    can_publish,
    can_read,
    can_read_block,
)
from ..rendering import (
    DIRECTIVE,
    BodyTooLong,
    render_markdown,
    render_revision,
    validate_body_size,
)
from ..search.outbox import index_problem
from ..search.sections import SectionDocumentBuilder
from ..signals import section_viewed
from . import reading, selectors, services
from .forms import MoveForm, RevisionForm, SectionCreateForm, SectionSettingsForm
from .navigation import page_navigation


def _section_and_ancestors(pk):
    """The section and its ancestors, in one query when its path is known.

    A section's path (its place in the tree) is kept in the cache as a hint: the
    section and its ancestors are then the rows at that path and its prefixes. The
    hint is checked against the row found there, so a move makes it miss, never lie.
    """
    related = Section.objects.select_related(
        "published_revision", "head_revision", "owner"
    )
    hint_key = key("path", 1, pk)
    path = cache.get(hint_key)
    if path:
        step = Section.steplen
        prefixes = [path[:end] for end in range(step, len(path) + 1, step)]
        chain = list(related.filter(path__in=prefixes))  # ordered by path
        if len(chain) == len(prefixes) and chain[-1].pk == pk:
            return chain[-1], chain[:-1]
    section = get_object_or_404(related, pk=pk)
    cache.set(hint_key, section.path, None)
    return section, list(Section.objects.get_ancestors(section))


def _load_section(pk):
    section, ancestors = _section_and_ancestors(pk)
    chain = [*ancestors, section]
    if any(takes_groups(s.visibility) for s in chain):
        # Groups matter only on restricted sections: one query, and only then.
        prefetch_related_objects(chain, "groups")
    return section, ancestors


def _section_or_404(request, pk, *, edit=False, stamp=None):
    """The section if the user may read it (404 otherwise: existence is not leaked).

    Given the change stamp, the section and its ancestors are kept in the cache under
    it: every change to a section, its revisions or groups writes an audit entry
    (also in the Django admin), which changes the stamp. The permission check is
    made on every request all the same.
    """
    if stamp is None:
        section, ancestors = _load_section(pk)
    else:
        name = key("section", 1, stamp, pk)
        found = cache.get(name)
        if found is None:
            found = _load_section(pk)
            cache.set(name, found, NAVIGATION_SECONDS)
        section, ancestors = found
    if not can_read(request.user, section, ancestors):
        raise Http404
    if edit and not can_edit(request.user, section):
        raise PermissionDenied
    return section, ancestors


def _warn_if_narrowed(request, section, wanted: str) -> None:
    """Say so when the services narrowed a visibility to match the parent."""
    if section.visibility != wanted:
        message = _("Visibility was narrowed to “%(vis)s” to match the parent section.")
        messages.warning(request, message % {"vis": section.get_visibility_display()})


def _page_context(request, section, ancestors, navigation=None):
    return {
        **(navigation or page_navigation(request.user, section, ancestors)),
        "section": section,
        "ancestors": ancestors,
        "can_edit": can_edit(request.user, section),
        "can_publish": can_publish(request.user),
        "can_create": can_create(request.user),
        "can_delete": can_delete(request.user),
    }


def section_detail(request, pk, slug=None):
    stamp = change_stamp()
    section, ancestors = _section_or_404(request, pk, stamp=stamp)
    navigation = page_navigation(request.user, section, ancestors, stamp=stamp)
    # Reading never writes: scheduled revisions are published by one scheduled path
    # (manage.py publish_scheduled, which `make run` starts beside the server).
    if slug != (section.slug or None):
        # Ids make URLs stable; an old or missing slug goes to the canonical address
        # (keeping the query, so ?draft=1 survives).
        query = request.GET.urlencode()
        url = section.get_absolute_url() + (f"?{query}" if query else "")
        return redirect(url, permanent=True)
    editor = can_edit(request.user, section)
    show_draft = editor and (request.GET.get("draft") or not section.published_revision)
    revision = section.head_revision if show_draft else section.published_revision
    rendered = (
        render_revision(revision, request.user, editor=editor, stamp=stamp)
        if revision
        else None
    )
    # One query, for editors only: readers' pages keep their query budget.
    doc_type = SectionDocumentBuilder.doc_type
    problem = index_problem(doc_type=doc_type, object_id=pk) if editor else None
    context = _page_context(request, section, ancestors, navigation)
    context.update(
        kb_stamp=stamp,  # for the template tags that cache under it (related FAQ)
        revision=revision,
        rendered=rendered,
        index_problem=problem,
        showing_draft=bool(show_draft),
        review_overdue=bool(
            section.review_by and section.review_by < timezone.localdate()
        ),
    )
    section_viewed.send(
        sender=Section, section=section, revision=revision, request=request
    )
    if request.method == "GET":  # "recently viewed": one write at most, often none
        reading.visit_record(user=request.user, section=section, revision=revision)
    return render(request, "manuals/section_detail.html", context)


def tree_children(request, pk):
    section, _ancestors = _section_or_404(request, pk)
    nodes = selectors.tree_children(request.user, section)
    return render(request, "manuals/_tree_children.html", {"nodes": nodes})


def section_create(request, parent_pk=None):
    if not can_create(request.user):
        raise PermissionDenied
    parent, ancestors = (None, [])
    if parent_pk is not None:
        parent, ancestors = _section_or_404(request, parent_pk)
    default_kind = Kind.MANUAL if parent is None else Kind.ARTICLE
    kind = request.GET.get("kind", default_kind)
    if kind not in Kind.values:
        kind = default_kind
    visibility = parent.visibility if parent else Visibility.INTERNAL
    form = SectionCreateForm(
        request.POST or None,
        initial={"kind": kind, "visibility": visibility, "body": starting_body(kind)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            section = services.section_create(
                parent=parent,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                visibility=data["visibility"],
                groups=data["groups"],
                message=data["message"],
                user=request.user,
                publish="publish" in request.POST and can_publish(request.user),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _warn_if_narrowed(request, section, data["visibility"])
            _warn_public_embeds(request, section, data["body"])
            messages.success(request, _("Section created."))
            return redirect(section)
    return render(
        request,
        "manuals/section_form.html",
        {
            "form": form,
            "parent": parent,
            "ancestors": ancestors,
            "creating": True,
            "can_publish": can_publish(request.user),
            "kind_templates": starting_bodies(),
        },
    )


def section_edit(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    head = section.head_revision
    kept = collaboration.draft_pending(section=section, user=request.user)
    if kept and head and (kept.title, kept.body) == (head.title, head.body):
        kept = None  # an autosave of what is saved already: nothing to offer
    outcome = edit_with_merge(
        request,
        form=lambda data=None, initial=None: RevisionForm(
            data, section=section, initial=initial
        ),
        initial={
            "title": head.title if head else section.title,
            "body": head.body if head else "",
            "base": head,
        },
        kept=kept,
        restored=lambda draft: {
            "title": draft.title,
            "body": draft.body,
            "base": draft.base,
            "resolves": draft.pk if draft.kind == Draft.Kind.CONFLICT else None,
        },
        save=lambda data: services.section_save(
            section=section,
            user=request.user,
            title=data["title"],
            body=data["body"],
            base=data["base"],
            message=data["message"],
            resolves=data["resolves"],
            minor=data["minor"],
            material=data["material"],
        ),
        saved=lambda result, data: _after_save(request, section, result),
    )
    if not isinstance(outcome, EditPage):
        return outcome
    return render(
        request,
        "manuals/section_form.html",
        {
            "form": outcome.form,
            "section": section,
            "ancestors": ancestors,
            "creating": False,
            "can_publish": can_publish(request.user),
            "conflict": outcome.conflict,
            "draft": outcome.draft,
            "others": collaboration.presence_others(section=section, user=request.user),
        },
    )


def _warn_public_embeds(request, section, body) -> None:
    """Tell the editor when a public section embeds blocks the public cannot see."""
    hidden = directives.non_public_blocks(body)
    if ANONYMOUS.sees(section.visibility) and hidden:
        message = _(
            "This public section embeds blocks the public cannot see (%(keys)s); "
            "public readers will not see their text."
        )
        messages.warning(request, message % {"keys": ", ".join(hidden)})


def _after_save(request, section, result):
    if result.revision is not None:
        _warn_public_embeds(request, section, result.revision.body)
    if result.status == "unchanged":
        messages.info(request, _("No changes to save."))
    elif result.status == "merged":
        messages.success(
            request,
            _("Saved. Your changes were merged with revision %(n)s by %(who)s.")
            % {"n": result.head.number, "who": result.head.author or "?"},
        )
    else:
        messages.success(
            request, _("Saved as revision %(n)s.") % {"n": result.revision.number}
        )
    if "publish" in request.POST and can_publish(request.user):
        services.revision_publish(
            section=section, revision=result.revision, user=request.user
        )
        messages.success(request, _("Published."))
        return redirect(section)
    if "review" in request.POST and result.revision != section.published_revision:
        collaboration.review_submit(
            section=section,
            revision=result.revision,
            user=request.user,
            note=request.POST.get("message", ""),
        )
        messages.success(request, _("Sent for review."))
    return redirect(
        reverse("manuals:section_id", kwargs={"pk": section.pk}) + "?draft=1"
    )


@require_POST
def section_preview(request):
    """Live preview for the editor, through the same pipeline readers get."""
    if not (can_edit(request.user) or can_create(request.user)):
        raise PermissionDenied
    body = request.POST.get("body", "")
    try:
        validate_body_size(body)
    except BodyTooLong as exc:
        message = exc.messages[0]
        shown = f'<div class="kb-block-missing" role="alert">{escape(message)}</div>'
        return JsonResponse({"html": shown, "error": message})
    rendered = render_markdown(body, audience_key(request.user), editor=True)
    return JsonResponse({"html": str(rendered.html), "error": rendered.error})


def section_history(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    revisions = section.revisions.select_related("author").order_by("-number")
    page = Paginator(revisions, 50).get_page(request.GET.get("page"))
    context = _page_context(request, section, ancestors)
    context.update(page=page)
    return render(request, "manuals/section_history.html", context)


def _revision_or_404(section, number):
    try:
        number = int(number)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    return get_object_or_404(
        Revision.objects.select_related("author"), section=section, number=number
    )


def section_diff(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    try:
        a, b = int(request.GET.get("a", 0)), int(request.GET.get("b", 0))
    except ValueError as exc:
        raise Http404 from exc
    old, new = (
        _revision_or_404(section, min(a, b)),
        _revision_or_404(section, max(a, b)),
    )
    rows = side_by_side(old.title + "\n\n" + old.body, new.title + "\n\n" + new.body)
    context = _page_context(request, section, ancestors)
    context.update(
        old=old, new=new, rows=rows, changed=any(r.kind != "equal" for r in rows)
    )
    return render(request, "manuals/section_diff.html", context)


def revision_detail(request, pk, number):
    section, ancestors = _section_or_404(request, pk, edit=True)
    revision = _revision_or_404(section, number)
    context = _page_context(request, section, ancestors)
    context.update(
        revision=revision,
        rendered=render_revision(revision, request.user, editor=True),
    )
    return render(request, "manuals/revision_detail.html", context)


@require_POST
def revision_restore(request, pk, number):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    revision = _revision_or_404(section, number)
    new = services.revision_restore(revision=revision, user=request.user)
    messages.success(
        request,
        _("Revision %(old)s restored as revision %(new)s.")
        % {"old": revision.number, "new": new.number},
    )
    return redirect(reverse("manuals:history", kwargs={"pk": section.pk}))


@require_POST
def section_publish(request, pk):
    section, _ancestors = _section_or_404(request, pk, edit=True)
    if not can_publish(request.user):
        raise PermissionDenied
    number = request.POST.get("number")
    revision = _revision_or_404(section, number) if number else section.head_revision
    services.revision_publish(section=section, revision=revision, user=request.user)
    messages.success(request, _("Revision %(n)s published.") % {"n": revision.number})
    return redirect(section)


def section_settings(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    form = SectionSettingsForm(
        request.POST or None,
        initial={
            "kind": section.kind,
            "visibility": section.visibility,
            "groups": section.groups.all(),
            "owner": section.owner,
            "review_by": section.review_by,
            "tags": ", ".join(t.name for t in section.tags.all()),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        updated = services.section_update_settings(
            section=section,
            user=request.user,
            kind=data["kind"],
            visibility=data["visibility"],
            groups=data["groups"],
            owner=data["owner"],
            review_by=data["review_by"],
            tags=data["tags"],
        )
        _warn_if_narrowed(request, updated, data["visibility"])
        messages.success(request, _("Settings saved."))
        return redirect(updated)
    context = _page_context(request, section, ancestors)
    context.update(form=form)
    return render(request, "manuals/section_settings.html", context)


def section_move(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    form = MoveForm(
        request.POST or None,
        targets=selectors.move_targets(request.user, exclude=section),
    )
    if request.method == "POST" and form.is_valid():
        try:
            moved = services.section_move(
                section=section,
                target=form.cleaned_data["target"],
                position=form.cleaned_data["position"],
                user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Moved."))
            return redirect(moved)
    context = _page_context(request, section, ancestors)
    context.update(
        form=form,
        subtree_size=Section.objects.get_descendants(
            section, include_self=True
        ).count(),
    )
    return render(request, "manuals/section_move.html", context)


def section_delete(request, pk):
    section, ancestors = _section_or_404(request, pk, edit=True)
    if not can_delete(request.user):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        parent = ancestors[-1] if ancestors else None
        try:
            count = services.section_delete(section=section, user=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Moved %(n)s section(s) to the trash. They can be restored "
                    "from there."
                )
                % {"n": count},
            )
            return redirect(parent or "home")
    context = _page_context(request, section, ancestors)
    # A list is a read: only what the user may open (trashed ones are gone already).
    descendants = Section.objects.get_descendants(section).readable_by(request.user)
    context.update(
        descendants=descendants[:50],
        descendant_count=descendants.count(),
        hidden_count=services.section_hidden_descendants(
            section=section, user=request.user
        ),
        error=error,
    )
    return render(request, "manuals/section_delete.html", context)


def _reader_source(text: str, user) -> str:
    """A revision's Markdown as a reader may compare it: each block directive becomes
    the block's title when the reader may read the block, and disappears otherwise
    (a key or a title of a block they may not read is not theirs to see)."""
    keys = {m.group(1) for m in DIRECTIVE.finditer(text)}
    titles = {}
    if keys:
        for block in Block.objects.filter(key__in=keys).prefetch_related("groups"):
            if can_read_block(user, block):
                titles[block.key] = block.title
    return DIRECTIVE.sub(
        lambda m: f"[{titles[m.group(1)]}]" if m.group(1) in titles else "", text
    )


def section_changes(request, pk):
    """What changed since revision `since` (one a reader saw: a published one) in
    what readers see now. Readers never compare drafts; editors have the history."""
    section, ancestors = _section_or_404(request, pk)
    current = section.published_revision
    if current is None:
        raise Http404
    try:
        since = int(request.GET.get("since", ""))
    except ValueError as exc:
        raise Http404 from exc
    old = get_object_or_404(
        Revision.objects.select_related("author"),
        section=section,
        number=since,
        first_published_at__isnull=False,
    )
    new = Revision.objects.select_related("author").get(pk=current.pk)
    if old.number > new.number:
        old, new = new, old
    rows = side_by_side(
        old.title + "\n\n" + _reader_source(old.body, request.user),
        new.title + "\n\n" + _reader_source(new.body, request.user),
    )
    context = _page_context(request, section, ancestors)
    context.update(
        old=old, new=new, rows=rows, changed=any(r.kind != "equal" for r in rows)
    )
    return render(request, "manuals/section_changes.html", context)
