"""Survey answers, raw analytics events, their daily rollups and knowledge-gap state.

Raw events (`PageView`, `SearchEvent`) are append-only and pruned after a retention
period; reports read the daily tables for rolled-up days and raw rows only for the
days since the last rollup.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
)
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manuals.models import Revision, Section

COMMENT_MAX_LENGTH = 1000


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Staff")


class Reason(models.TextChoices):
    OUTDATED = "outdated", _("Outdated")
    UNCLEAR = "unclear", _("Unclear")
    INCOMPLETE = "incomplete", _("Incomplete")
    WRONG = "wrong", _("Wrong")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class ArticleFeedback(models.Model):
    """One reader's answer to the survey at the end of one revision of an article."""

    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("section"),
    )
    revision = models.ForeignKey(
        Revision,
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("revision"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="article_feedback",
        verbose_name=_("reader"),
    )
    # A salted hash naming an anonymous visitor; never an IP address.
    visitor = models.CharField(_("visitor"), max_length=64, blank=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience, default=Audience.INTERNAL
    )
    helpful = models.BooleanField(_("helpful"))
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    # Reason codes joined as ",unclear,wrong," so one `contains` finds a reason on
    # every database (JSON containment is not portable to SQLite).
    reasons = models.CharField(_("reasons"), max_length=80, blank=True)
    comment = models.TextField(
        _("comment"),
        blank=True,
        validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)],
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_feedback",
        verbose_name=_("assigned to"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_revision = models.ForeignKey(
        Revision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_feedback",
        verbose_name=_("fixed in revision"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        permissions = [
            ("view_reports", _("Can see the feedback and analytics dashboard")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "user"],
                condition=models.Q(user__isnull=False),
                name="feedback_one_per_user_revision",
            ),
            models.UniqueConstraint(
                fields=["revision", "visitor"],
                condition=models.Q(user__isnull=True),
                name="feedback_one_per_visitor_revision",
            ),
        ]
        indexes = [models.Index(fields=["section", "created"])]

    def __str__(self):
        verdict = "+" if self.helpful else "-"
        return f"{self.section_id} r{self.revision_id} {verdict}"

    def clean(self):
        if self.user_id is None and not self.visitor:
            raise ValidationError(_("Feedback needs a reader or a visitor id."))
        unknown = set(self.reason_list) - set(Reason.values)
        if unknown:
            raise ValidationError({"reasons": _("Unknown reason.")})
        if self.revision_id and self.revision.section_id != self.section_id:
            raise ValidationError(_("That revision belongs to another section."))

    @property
    def reason_list(self) -> list[str]:
        return [r for r in self.reasons.split(",") if r]

    @property
    def reason_labels(self) -> list[str]:
        labels = dict(Reason.choices)
        return [str(labels.get(r, r)) for r in self.reason_list]

    @staticmethod
    def join_reasons(reasons) -> str:
        ordered = [r for r in Reason.values if r in set(reasons)]
        return f",{','.join(ordered)}," if ordered else ""


# Raw events carry no single-column index on their foreign keys: reports filter them
# by time and group by section or query, and SQLite (without statistics) otherwise
# walks the whole table through the foreign-key index to save a sort. The
# composite indexes lead with `created`, so "since yesterday" stays a range scan.


class PageView(models.Model):
    """A reader opened the published revision of a section (raw event)."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    revision = models.ForeignKey(
        Revision, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    audience = models.CharField(max_length=10, choices=Audience)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("page view")
        verbose_name_plural = _("page views")
        indexes = [
            models.Index(fields=["created", "section"], name="pageview_created_section")
        ]

    def __str__(self):
        return f"view {self.section_id} {self.created:%Y-%m-%d %H:%M}"


class SearchEvent(models.Model):
    """A search and, when a reader followed a result (a section or an FAQ entry),
    the first click on it."""

    query = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200)
    results_count = models.PositiveIntegerField(default=0)
    audience = models.CharField(max_length=10, choices=Audience)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.CharField(max_length=64, blank=True)
    clicked_section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_faq = models.ForeignKey(
        "faq.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set with the first click, whatever it followed (a section or an FAQ entry).
    clicked_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("search event")
        verbose_name_plural = _("search events")
        indexes = [
            models.Index(fields=["created", "normalized"], name="search_created_query")
        ]

    def __str__(self):
        return f"search {self.normalized!r} ({self.results_count})"


class DailySectionStats(models.Model):
    """Page views of one section on one day, per audience (from `PageView`)."""

    day = models.DateField()
    # The unique (day, section, audience) index serves every query of this table.
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    audience = models.CharField(max_length=10, choices=Audience)
    views = models.PositiveIntegerField(default=0)
    # Distinct readers that day. Summed over a period this counts reader-days: the
    # exact distinct count over a period would need the raw events the rollup drops.
    readers = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily section statistics")
        verbose_name_plural = _("daily section statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "section", "audience"], name="daily_section_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.section_id} {self.views}"


class DailySearchStats(models.Model):
    """Searches for one normalized query on one day, per audience (from raw)."""

    day = models.DateField()
    normalized = models.CharField(max_length=200)
    audience = models.CharField(max_length=10, choices=Audience)
    query = models.CharField(max_length=200)  # one raw spelling, for display
    searches = models.PositiveIntegerField(default=0)
    zero_results = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = _("daily search statistics")
        verbose_name_plural = _("daily search statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "normalized", "audience"], name="daily_search_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.normalized!r} {self.searches}"


class RollupState(models.Model):
    """One row: the last day whose raw events are in the daily tables."""

    rolled_through = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self):
        return f"rolled through {self.rolled_through}"


class GapKind(models.TextChoices):
    ZERO_RESULTS = "zero", _("No results")
    NO_CLICK = "noclick", _("Results not clicked")
    UNHELPFUL = "unhelpful", _("Not helpful")


class Gap(models.Model):
    """Triage state of one knowledge gap; the gap itself is computed from events.

    `key` is the normalized query for search gaps and the section id for unhelpful
    articles. Unanswered questions keep their state on `faq.Question`.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=GapKind)
    key = models.CharField(_("key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=Status, default=Status.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_gaps",
        verbose_name=_("assigned to"),
    )
    answer_section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("knowledge gap")
        verbose_name_plural = _("knowledge gaps")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="gap_unique_key")
        ]

    def __str__(self):
        return f"{self.kind}:{self.key}"
