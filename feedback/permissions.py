"""Who may see reports and triage feedback: small named questions, as in manuals."""

from manuals.models import Section
from manuals.permissions import can_read

from .models import GapKind


def can_view_reports(user) -> bool:
    return user.is_active and user.has_perm("feedback.view_reports")


def can_triage(user) -> bool:
    """Assign, resolve and dismiss feedback and knowledge gaps."""
    return user.is_active and user.has_perm("feedback.change_articlefeedback")


def can_see_feedback(user, feedback) -> bool:
    """A feedback item is for those who triage, about a section they may read."""
    return can_triage(user) and can_read(user, feedback.section)


def can_see_gap(user, gap) -> bool:
    """Gaps are in the managers' reports; an unhelpful-article gap is about a
    section, which the reader must be able to read."""
    if not can_view_reports(user):
        return False
    if gap.kind != GapKind.UNHELPFUL:
        return True
    if not gap.key.isdigit():
        return False
    section = Section.objects.filter(pk=int(gap.key)).first()
    return section is not None and can_read(user, section)
