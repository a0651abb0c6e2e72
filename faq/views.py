"""Views of the FAQ: entries by category, asking, the editors' question queue."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from manuals.editing.services import conflict_message
from manuals.models import Section
from manuals.permissions import can_read

from . import selectors, services
from .forms import AnswerForm, AskForm, EntryForm, MergeForm, RejectForm
from .models import Entry, Question, QuestionStatus
from .permissions import can_answer, can_ask, can_edit_entries


def _sections_for(user):
    return (
        Section.objects.readable_by(user)
        .filter(published_revision__isnull=False)
        .only("id", "title", "depth", "path")
    )


def faq_index(request):
    groups = [
        (category, [(e, selectors.rendered_answer(e, request.user)) for e in entries])
        for category, entries in selectors.entries_by_category(user=request.user)
    ]
    return render(
        request,
        "faq/index.html",
        {
            "groups": groups,
            "can_answer": can_answer(request.user),
            "can_ask": can_ask(request.user),
            "open_count": selectors.open_questions(user=request.user).count()
            if can_answer(request.user)
            else 0,
        },
    )


def _entry_or_404(request, pk) -> Entry:
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=pk)
    if not Entry.objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404
    return entry


def entry_detail(request, pk):
    entry = _entry_or_404(request, pk)
    related = [s for s in entry.related_sections.all() if can_read(request.user, s)]
    return render(
        request,
        "faq/entry_detail.html",
        {
            "entry": entry,
            "answer": selectors.rendered_answer(entry, request.user),
            "related": related,
            "can_edit": can_edit_entries(request.user),
        },
    )


def _entry_form_data(form):
    data = form.cleaned_data
    return {
        "question": data["question"],
        "answer": data["answer"],
        "category": data["category"],
        "order": data["order"] or 0,
        "visibility": data["visibility"],
        "related_sections": data["related_sections"],
    }


def entry_create(request):
    if not can_answer(request.user):
        raise PermissionDenied
    form = EntryForm(request.POST or None, sections=_sections_for(request.user))
    if request.method == "POST" and form.is_valid():
        entry = services.entry_create(user=request.user, **_entry_form_data(form))
        messages.success(request, _("FAQ entry created."))
        return redirect(entry)
    return render(request, "faq/entry_form.html", {"form": form, "creating": True})


def entry_edit(request, pk):
    entry = _entry_or_404(request, pk)
    if not can_edit_entries(request.user):
        raise PermissionDenied
    form = EntryForm(
        request.POST or None,
        sections=_sections_for(request.user),
        initial={
            "question": entry.question,
            "answer": entry.answer,
            "category": entry.category,
            "order": entry.order,
            "visibility": entry.visibility,
            "related_sections": entry.related_sections.all(),
            "base_question": entry.question,
            "base_answer": entry.answer,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.entry_update(
                entry=entry,
                user=request.user,
                base_question=form.cleaned_data["base_question"],
                base_answer=form.cleaned_data["base_answer"],
                **_entry_form_data(form),
            )
        except services.EntryConflict as conflict:
            # Nothing is lost: the merged text with both versions marked goes back
            # into the form, now based on what is saved.
            data = dict(form.cleaned_data)
            data.update(
                question=conflict.question,
                answer=conflict.answer,
                base_question=conflict.current.question,
                base_answer=conflict.current.answer,
            )
            form = EntryForm(sections=_sections_for(request.user), initial=data)
            messages.error(request, conflict_message())
        else:
            if saved.was_merged:
                messages.success(
                    request,
                    _("Saved. Your changes were merged with changes saved meanwhile."),
                )
            else:
                messages.success(request, _("FAQ entry saved."))
            return redirect(entry)
    return render(
        request,
        "faq/entry_form.html",
        {"form": form, "entry": entry, "creating": False},
    )


def _safe_next(request, value: str) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def ask(request):
    """Ask a question from any page (?section=, ?q= for a search with no results)."""
    if not can_ask(request.user):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    form = AskForm(
        request.POST or None,
        initial={
            "text": source.get("q", ""),
            "section": source.get("section"),
            "q": source.get("q", ""),
            "next": source.get("next", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        section = None
        if data["section"]:
            section = Section.objects.filter(pk=data["section"]).first()
            if section is not None and not can_read(request.user, section):
                section = None
        services.question_ask(
            text=data["text"],
            details=data["details"],
            user=request.user,
            section=section,
            search_query=data["q"],
        )
        messages.success(
            request,
            _(
                "Thank you. Your question was sent to the editors; you will be "
                "told here when it is answered."
            ),
        )
        return redirect(_safe_next(request, data["next"]) or "faq:mine")
    return render(request, "faq/ask.html", {"form": form})


@require_GET  # reading it marks the asker's answers read; nothing else may
def my_questions(request):
    questions = (
        Question.objects.filter(asked_by=request.user)
        .select_related("entry", "duplicate_of")
        .order_by("-created")
    )
    unread = set(
        selectors.unread_answers(user=request.user).values_list("object_id", flat=True)
    )
    response = render(
        request, "faq/mine.html", {"questions": questions, "unread": unread}
    )
    services.answers_mark_read(user=request.user)
    return response


def question_queue(request):
    if not can_answer(request.user):
        raise PermissionDenied
    return render(
        request,
        "faq/queue.html",
        {
            "questions": selectors.open_questions(user=request.user),
            "recent": selectors.readable_questions(user=request.user)
            .exclude(status=QuestionStatus.OPEN)
            .select_related("asked_by", "handled_by", "entry")
            .order_by("-handled_at")[:20],
        },
    )


def question_detail(request, pk):
    if not can_answer(request.user):
        raise PermissionDenied
    question = get_object_or_404(
        selectors.readable_questions(user=request.user).select_related(
            "asked_by", "section", "entry"
        ),
        pk=pk,
    )
    sections = _sections_for(request.user)
    answer_form = AnswerForm(
        sections=sections,
        initial={
            "question": question.text,
            "related_sections": [question.section] if question.section else [],
        },
    )
    merge_form = MergeForm(question=question)
    reject_form = RejectForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answer":
                answer_form = AnswerForm(request.POST, sections=sections)
                if answer_form.is_valid():
                    data = answer_form.cleaned_data
                    entry = services.question_answer(
                        question=question,
                        user=request.user,
                        answer=data["answer"],
                        entry_question=data["question"],
                        category=data["category"],
                        visibility=data["visibility"],
                        related_sections=data["related_sections"],
                        existing_entry=data["existing"],
                    )
                    messages.success(
                        request, _("Answered; the asker has been notified.")
                    )
                    return redirect(entry)
            elif action == "merge":
                merge_form = MergeForm(request.POST, question=question)
                if merge_form.is_valid():
                    services.question_merge(
                        question=question,
                        into=merge_form.cleaned_data["into"],
                        user=request.user,
                    )
                    messages.success(request, _("Merged as a duplicate."))
                    return redirect("faq:queue")
            elif action == "reject":
                reject_form = RejectForm(request.POST)
                if reject_form.is_valid():
                    services.question_reject(
                        question=question,
                        reason=reject_form.cleaned_data["reason"],
                        user=request.user,
                    )
                    messages.success(
                        request, _("Rejected; the asker has been told why.")
                    )
                    return redirect("faq:queue")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "faq/question_detail.html",
        {
            "question": question,
            "answer_form": answer_form,
            "merge_form": merge_form,
            "reject_form": reject_form,
            "duplicates": question.duplicates.select_related("asked_by"),
        },
    )
