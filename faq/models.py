"""FAQ entries (markdown answers in categories), the questions agents ask, and the
in-site notices that tell an asker their question was handled."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manuals.audience import Audience, Visibility
from manuals.models import Section


class EntryVisibility(models.TextChoices):
    """The manual's visibilities an entry may have (no groups: never restricted)."""

    PUBLIC = Visibility.PUBLIC.value, Visibility.PUBLIC.label
    INTERNAL = Visibility.INTERNAL.value, Visibility.INTERNAL.label


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")

    def __str__(self):
        return self.name


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public entries for everyone; internal ones for staff who read internal."""
        return self.filter(Audience.for_user(user).q(groups=False))


class Entry(models.Model):
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(
        _("answer"),
        help_text=_("Markdown, with the same block directives as sections."),
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
        verbose_name=_("category"),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=EntryVisibility,
        default=EntryVisibility.INTERNAL,
    )
    related_sections = models.ManyToManyField(
        Section,
        blank=True,
        related_name="faq_entries",
        verbose_name=_("related sections"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "category__name", "order", "pk"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self):
        return self.question

    def get_absolute_url(self):
        return reverse("faq:entry", kwargs={"pk": self.pk})


class QuestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    MERGED = "merged", _("Merged as duplicate")
    REJECTED = "rejected", _("Rejected")


class Question(models.Model):
    """A question an agent asked; answering it creates (or links) an FAQ entry."""

    text = models.CharField(_("question"), max_length=300)
    details = models.TextField(_("details"), blank=True, max_length=2000)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="faq_questions",
        verbose_name=_("asked by"),
    )
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("asked on section"),
    )
    search_query = models.CharField(_("search"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuestionStatus,
        default=QuestionStatus.OPEN,
    )
    entry = models.ForeignKey(
        Entry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("answer"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    reject_reason = models.TextField(_("reason"), blank=True, max_length=1000)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    created = models.DateTimeField(_("asked"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self):
        return self.text
