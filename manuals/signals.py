"""Signals the manual sends so other apps (feedback analytics) can listen without
manuals importing them."""

from django.dispatch import Signal

# sender=Section class; kwargs: section, revision, request
section_viewed = Signal()
# Sent inside the transaction of every change readers or search could notice
# (publish, settings, move, delete). sender=Section class; kwargs: section_ids (a list
# of ids whose published text, visibility, place or existence changed), deleted (bool).
# The search outbox listens so its rows commit or roll back with the change.
sections_changed = Signal()
# sender=None; kwargs: query, normalized, results_count, user, audience, request
search_performed = Signal()

# Sent when a block is published. sender=Block; kwargs: block, affected ({model class:
# set of ids} of everything that follows it). Apps whose content embeds blocks (FAQ)
# re-index theirs; sections are already covered by sections_changed.
blocks_published = Signal()

# Sent inside the transaction when an editor asks for a review. sender=ReviewRequest;
# kwargs: review.
review_requested = Signal()
# Sent inside the transaction when a publisher approves or asks for changes.
# sender=ReviewRequest; kwargs: review.
review_decided = Signal()
# Sent inside the transaction when a revision becomes what readers see.
# sender=Section; kwargs: section, revision, previous (the revision readers saw
# before, or None), user.
section_published = Signal()

# Sent inside the transaction when the meaning of sections changed: the first
# publication of a section, or the publication of a material change of it or of a
# block it follows. Their material_version is already raised. sender=Section;
# kwargs: section_ids (a list), user. Read confirmations listen.
material_changed = Signal()
