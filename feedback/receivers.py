"""Signal receivers: the manual announces views and searches, feedback records them.

manuals never imports feedback; `FeedbackConfig.ready` connects these.
"""

from django.conf import settings

from manuals.audience import ANONYMOUS
from manuals.permissions import can_read_internal

from . import services
from .models import Audience


def on_section_viewed(sender, *, section, revision, request, **kwargs):
    """Count views of what readers see: the published revision (not editors' drafts)."""
    if not settings.KB_ANALYTICS_ENABLED or revision is None:
        return
    if revision.pk != section.published_revision_id:
        return
    user = getattr(request, "user", None)
    internal = user is not None and user.is_authenticated and can_read_internal(user)
    services.page_view_record(
        section=section,
        revision=revision,
        request=request,
        audience=Audience.INTERNAL if internal else Audience.PUBLIC,
    )


def on_search_performed(
    sender,
    *,
    query,
    normalized,
    results_count,
    user=None,
    audience=ANONYMOUS.key,
    request=None,
    **kwargs,
):
    if not settings.KB_ANALYTICS_ENABLED or not (normalized or "").strip():
        return
    services.search_record(
        query=query,
        normalized=normalized,
        results_count=results_count,
        audience=audience,
        request=request,
        user=user,
    )
