"""Notifications, what each person wants delivered, what they watch, the team chat
channels, and the delivery outbox."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manuals.models import Block, Section

from ..people.models import Team


class Kind(models.TextChoices):
    REVIEW_REQUESTED = "review_requested", _("Review requested")
    REVIEW_APPROVED = "review_approved", _("Review approved")
    REVIEW_CHANGES = "review_changes", _("Changes requested")
    QUESTION_ANSWERED = "question_answered", _("Question answered")
    QUESTION_DECLINED = "question_declined", _("Question not taken up")
    FEEDBACK_ASSIGNED = "feedback_assigned", _("Feedback assigned")
    GAP_ASSIGNED = "gap_assigned", _("Knowledge gap assigned")
    SECTION_CHANGED = "section_changed", _("Watched section changed")
    BLOCK_CHANGED = "block_changed", _("Watched block changed")
    REVIEW_DUE = "review_due", _("Section due for review")
    CONFIRMATION_REQUESTED = "confirmation_requested", _("Read confirmation requested")
    RECONFIRM = "reconfirm", _("Read confirmation asked again")
    PATH_ASSIGNED = "path_assigned", _("Learning path assigned")


class Notification(models.Model):
    """One thing the site tells one person. `text` and `url` are written at send time,
    after the recipient's read check on the subject."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kb_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When the daily digest (or the immediate e-mail) carried it.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created"], name="notification_recent"),
        ]

    def __str__(self):
        return self.text


class EmailMode(models.TextChoices):
    OFF = "off", _("No e-mail")
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")


class Preference(models.Model):
    """How one person wants to be told. No row: the defaults (in-app and a daily
    digest, every kind)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kb_notify"
    )
    email = models.CharField(
        _("e-mail"), max_length=12, choices=EmailMode, default=EmailMode.DAILY
    )
    # Kinds this person does not want by e-mail (in-app they always arrive).
    muted_kinds = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}: {self.email}"


class Watch(models.Model):
    """A reader watching a section (optionally with its subtree) or a block. An owner
    watches their sections without a row; a row with active=False is an owner's
    "stop watching"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kb_watches"
    )
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    block = models.ForeignKey(
        Block, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subtree = models.BooleanField(_("with subsections"), default=False)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(section__isnull=False, block__isnull=True)
                | models.Q(section__isnull=True, block__isnull=False),
                name="watch_has_one_subject",
            ),
            models.UniqueConstraint(
                fields=["user", "section"],
                condition=models.Q(section__isnull=False),
                name="watch_section_once",
            ),
            models.UniqueConstraint(
                fields=["user", "block"],
                condition=models.Q(block__isnull=False),
                name="watch_block_once",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} watches {self.section_id or self.block_id}"


class Platform(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk custom robot (钉钉)")
    FEISHU = "feishu", _("Feishu / Lark custom bot (飞书)")
    GENERIC = "generic", _("Generic JSON webhook")


class ChatChannel(models.Model):
    """A team's chat channel. It is told about the kinds it is set up for, and only
    about what every member of its team or group may read."""

    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=12, choices=Platform)
    url = models.URLField(_("webhook address"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk and Feishu: the robot's signing secret, if it has one."),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("team")
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("group")
    )
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    # Only changes under this section (empty: the whole manual).
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("under section"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, group__isnull=True)
                | models.Q(team__isnull=True, group__isnull=False),
                name="channel_has_one_audience",
            )
        ]

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """The outbox: one e-mail or chat post to make, written in the transaction that
    caused it and sent after commit by the worker, retried with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        PARKED = "parked", _("given up")
        DROPPED = "dropped", _("dropped (no longer readable)")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        CHAT = "chat", _("chat")

    channel = models.CharField(max_length=8, choices=Channel)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE
    )
    chat = models.ForeignKey(
        ChatChannel, null=True, blank=True, on_delete=models.CASCADE
    )
    # For chat posts (no per-person notification): the subject, text and link.
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=8, choices=Status, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self):
        return f"{self.channel} {self.pk} ({self.status})"


class DailyRun(models.Model):
    """The day a once-a-day job of the worker last ran (digests, review reminders),
    so several workers or restarts run it once."""

    name = models.CharField(max_length=40, unique=True)
    day = models.DateField()

    def __str__(self):
        return f"{self.name} {self.day}"
