"""Who may ask questions and who answers them."""

from manuals.permissions import can_read_internal


def can_ask(user) -> bool:
    """Staff who read the internal manual (agents and up) may ask questions."""
    return user.is_authenticated and (user.is_superuser or can_read_internal(user))


def can_answer(user) -> bool:
    """Editors answer questions, which creates FAQ entries."""
    return user.is_active and user.has_perm("faq.add_entry")


def can_edit_entries(user) -> bool:
    return user.is_active and user.has_perm("faq.change_entry")
