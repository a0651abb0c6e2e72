"""Template tags: the survey at the end of an article, and the feedback a section's
revisions resolved (for its history page)."""

from django import template

from .. import selectors
from ..permissions import can_view_reports
from ..views import survey_context

register = template.Library()


@register.inclusion_tag("feedback/_survey.html", takes_context=True)
def survey_box(context, section):
    """The survey for the published revision of `section`, with the reader's answer."""
    return survey_context(context["request"], section)


@register.inclusion_tag("feedback/_resolved_feedback.html", takes_context=True)
def resolved_feedback(context, section):
    """Feedback resolved by this section's revisions (shown to editors and managers)."""
    user = context["request"].user
    items = selectors.resolved_feedback_for_section(section=section)[:50]
    return {
        "items": items,
        "section": section,
        "can_view_reports": can_view_reports(user),
    }


@register.simple_tag
def report_cell(value):
    """One table cell: a Link becomes <a>, numbers align right, text is escaped."""
    from django.utils.html import format_html

    from ..charts import sparkline
    from ..tables import Link, Spark

    if isinstance(value, Spark):
        return format_html("<td>{}</td>", sparkline(value.values))
    if isinstance(value, Link):
        return format_html('<td><a href="{}">{}</a></td>', value.url, value.text)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_html('<td class="kb-num">{}</td>', value)
    return format_html('<td class="kb-plain">{}</td>', "" if value is None else value)
