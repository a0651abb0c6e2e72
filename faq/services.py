"""Operations on FAQ entries and agents' questions: ask, answer (which creates an
entry and tells the asker), merge duplicates, reject with a reason."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from manuals import audit, directives
from manuals.editing.merge import merge_text
from manuals.models import AuditEntry, Section
from manuals.notifications.models import Kind
from manuals.notifications.services import notifications_mark_read, notify
from manuals.permissions import require
from manuals.rendering import validate_body_size

from . import search, selectors
from .models import Category, Entry, Question, QuestionStatus
from .permissions import can_answer, can_ask, can_edit_entries

# FAQ changes are in the manual's audit log; writing an entry also tells the cached
# pages that show related FAQ entries (manuals.cache.change_stamp).
Action = AuditEntry.Action


def _check_answer(answer: str) -> None:
    """Answers embed blocks like sections do; refuse directives that point nowhere,
    and answers longer than any body may be."""
    try:
        validate_body_size(answer)
    except ValidationError as exc:
        raise ValidationError({"answer": exc.messages}) from exc
    errors = directives.check(answer)
    if errors:
        raise ValidationError({"answer": errors})


class EntryConflict(ValidationError):
    """Someone changed the same lines of the entry since the editor started."""

    def __init__(self, *, question: str, answer: str, current: Entry):
        super().__init__(_("Someone else changed the same lines since you started."))
        self.question, self.answer, self.current = question, answer, current


def _merge_entry(entry, *, question, answer, base_question, base_answer):
    """(question, answer, merged?) after merging with changes saved meanwhile."""
    if base_answer is None or (
        entry.answer == base_answer and entry.question == (base_question or "")
    ):
        return question, answer, False
    body, body_conflict = merge_text(base_answer, entry.answer, answer)
    title, title_conflict = merge_text(base_question or "", entry.question, question)
    if body_conflict or title_conflict or "\n" in title.strip():
        raise EntryConflict(question=question, answer=body, current=entry)
    return title.strip(), body, True


# --- entries ---


@transaction.atomic
def entry_create(
    *,
    question: str,
    answer: str,
    user,
    category: Category | None = None,
    order: int = 0,
    visibility: str,
    related_sections=(),
) -> Entry:
    require(can_answer(user))
    _check_answer(answer)
    entry = Entry(
        question=question.strip(),
        answer=answer,
        category=category,
        order=order,
        visibility=visibility,
        created_by=user,
    )
    entry.full_clean()
    entry.save()
    entry.related_sections.set(related_sections)
    directives.refresh_usage(entry, [entry.answer])
    search.enqueue([entry.pk])
    audit.record(Action.FAQ, user=user, obj=entry, change="create", entry=entry.pk)
    return entry


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    user,
    question: str,
    answer: str,
    category: Category | None,
    order: int,
    visibility: str,
    related_sections=(),
    base_question: str | None = None,
    base_answer: str | None = None,
) -> Entry:
    """Save an edit. With the text the editor started from (`base_*`), a change
    someone saved meanwhile is merged three-way; overlapping changes raise
    EntryConflict carrying the merged text, and nothing is saved."""
    require(can_edit_entries(user))
    _check_answer(answer)
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    question, answer, merged = _merge_entry(
        entry,
        question=question,
        answer=answer,
        base_question=base_question,
        base_answer=base_answer,
    )
    entry.question = question.strip()
    entry.answer = answer
    entry.category = category
    entry.order = order
    entry.visibility = visibility
    entry.updated = timezone.now()
    entry.full_clean()
    entry.save()
    entry.related_sections.set(related_sections)
    directives.refresh_usage(entry, [entry.answer])
    search.enqueue([entry.pk])
    audit.record(Action.FAQ, user=user, obj=entry, change="edit", entry=entry.pk)
    entry.was_merged = merged  # tells the view to say so
    return entry


@transaction.atomic
def entry_apply_outside_change(*, entry: Entry) -> None:
    """After an entry was saved outside these services (the Django admin): its
    where-used rows and its search document follow, as after entry_update."""
    entry = Entry.objects.get(pk=entry.pk)
    directives.refresh_usage(entry, [entry.answer])
    search.enqueue([entry.pk])


@transaction.atomic
def entry_delete(*, entry: Entry, user) -> None:
    require(user.is_active and user.has_perm("faq.delete_entry"))
    pk = entry.pk
    directives.refresh_usage(entry, [])
    audit.record(Action.FAQ, user=user, obj=entry, change="delete", entry=pk)
    entry.delete()
    search.enqueue([pk])


# --- questions ---


@transaction.atomic
def question_ask(
    *,
    text: str,
    user,
    details: str = "",
    section: Section | None = None,
    search_query: str = "",
) -> Question:
    require(can_ask(user))
    question = Question(
        text=text.strip(),
        details=details.strip(),
        asked_by=user,
        section=section,
        search_query=search_query.strip()[:200],
    )
    question.full_clean()
    question.save()
    return question


def _notify(question: Question) -> None:
    """Tell the asker and the askers of merged duplicates (once each)."""
    seen = set()
    for q in [question, *question.duplicates.select_related("asked_by")]:
        if q.asked_by_id and q.asked_by_id not in seen:
            seen.add(q.asked_by_id)
            _tell_asker(q)


def _tell_asker(question: Question) -> None:
    declined = question.status == QuestionStatus.REJECTED
    notify(
        recipients=[question.asked_by],
        kind=Kind.QUESTION_DECLINED if declined else Kind.QUESTION_ANSWERED,
        subject=question,
        text=question.text,
        url=reverse("faq:mine") + f"#q-{question.pk}",
        actor=question.handled_by,
    )


def _close(question: Question, *, status: str, user) -> None:
    question.status = status
    question.handled_by = user
    question.handled_at = timezone.now()


def _require_open(question: Question) -> None:
    if question.status != QuestionStatus.OPEN:
        raise ValidationError(_("This question has already been handled."))


@transaction.atomic
def question_answer(
    *,
    question: Question,
    user,
    answer: str = "",
    entry_question: str = "",
    category: Category | None = None,
    visibility: str = "internal",
    related_sections=(),
    existing_entry: Entry | None = None,
) -> Entry:
    """Answer a question: a new FAQ entry (or an existing one) becomes its answer;
    the asker, and the askers of its duplicates, are notified in the site."""
    require(can_answer(user))
    _require_open(question)
    if existing_entry is None:
        if not answer.strip():
            raise ValidationError({"answer": _("Write an answer.")})
        related = list(related_sections)
        if question.section_id and question.section not in related:
            related.append(question.section)
        existing_entry = entry_create(
            question=entry_question or question.text,
            answer=answer,
            user=user,
            category=category,
            visibility=visibility,
            related_sections=related,
        )
    question.entry = existing_entry
    _close(question, status=QuestionStatus.ANSWERED, user=user)
    question.full_clean()
    question.save()
    question.duplicates.filter(status=QuestionStatus.MERGED).update(
        entry=existing_entry
    )
    _notify(question)
    return existing_entry


@transaction.atomic
def question_merge(*, question: Question, into: Question, user) -> Question:
    """Mark `question` a duplicate of `into`; if `into` is answered, so is this."""
    require(can_answer(user))
    _require_open(question)
    if into.pk == question.pk or into.duplicate_of_id == question.pk:
        raise ValidationError(_("A question cannot be a duplicate of itself."))
    while into.duplicate_of_id:  # merge into the original, never into a duplicate
        into = into.duplicate_of
    question.duplicate_of = into
    question.entry = into.entry
    _close(question, status=QuestionStatus.MERGED, user=user)
    question.full_clean()
    question.save()
    question.duplicates.update(duplicate_of=into)
    if into.status == QuestionStatus.ANSWERED and question.asked_by_id:
        _tell_asker(question)
    return question


@transaction.atomic
def question_reject(*, question: Question, reason: str, user) -> Question:
    require(can_answer(user))
    _require_open(question)
    if not reason.strip():
        raise ValidationError({"reject_reason": _("Say why, for the asker.")})
    question.reject_reason = reason.strip()
    _close(question, status=QuestionStatus.REJECTED, user=user)
    question.full_clean()
    question.save()
    _notify(question)
    return question


def answers_mark_read(*, user) -> int:
    """The asker has seen what happened to their questions (on "My questions")."""
    ids = selectors.unread_answers(user=user).values_list("pk", flat=True)
    return notifications_mark_read(user=user, ids=list(ids))
