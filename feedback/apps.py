"""App config for feedback and analytics; connects the receivers of manual signals."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback and analytics")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished

        from manuals import hooks
        from manuals.notifications import subjects
        from manuals.signals import search_performed, section_viewed

        from . import events, receivers, selectors
        from .models import ArticleFeedback, Gap
        from .permissions import can_see_feedback, can_see_gap

        section_viewed.connect(receivers.on_section_viewed, dispatch_uid="kb-views")
        search_performed.connect(
            receivers.on_search_performed, dispatch_uid="kb-searches"
        )
        # After the response has gone out: batch writes cost the reader nothing.
        request_finished.connect(events.flush_if_due, dispatch_uid="kb-flush")
        user_logged_in.connect(
            selectors.remember_answers_at_login, dispatch_uid="kb-answered"
        )
        # The portal's popular articles, and search hits that count their clicks.
        hooks.provide_view_counts(selectors.daily_section_views)
        hooks.provide_search_click_url("feedback:click")
        # Notifications about feedback and gaps: the inbox's and reports' rules.
        subjects.register(ArticleFeedback, can_see_feedback)
        subjects.register(Gap, can_see_gap)
