"""Who may see reports and triage feedback: small named questions, as in manuals."""


def can_view_reports(user) -> bool:
    return user.is_active and user.has_perm("feedback.view_reports")


def can_triage(user) -> bool:
    """Assign, resolve and dismiss feedback and knowledge gaps."""
    return user.is_active and user.has_perm("feedback.change_articlefeedback")
