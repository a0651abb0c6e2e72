"""Signals the manual sends so other apps (feedback analytics) can listen without
manuals importing them."""

from django.dispatch import Signal

# sender=Section class; kwargs: section, revision, request
section_viewed = Signal()
# sender=None; kwargs: query, normalized, results_count, user, audience, request
search_performed = Signal()
