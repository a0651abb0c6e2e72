"""Who may ask questions and who answers them."""

from manuals.permissions import can_read_internal

from .selectors import readable_questions


def can_ask(user) -> bool:
    """Staff who read the internal manual (agents and up) may ask questions."""
    return user.is_authenticated and (user.is_superuser or can_read_internal(user))


def can_answer(user) -> bool:
    """Editors answer questions, which creates FAQ entries."""
    return user.is_active and user.has_perm("faq.add_entry")


def can_edit_entries(user) -> bool:
    return user.is_active and user.has_perm("faq.change_entry")


def can_see_question(user, question) -> bool:
    """The asker sees their own question; those who answer see questions about
    sections they may read (the queue's rule)."""
    if question.asked_by_id == user.pk:
        return True
    return can_answer(user) and (
        readable_questions(
            user=user, questions=type(question).objects.filter(pk=question.pk)
        ).exists()
    )
