"""Read confirmations and the requests for them.

A confirmation is append-only evidence: who confirmed which published revision of a
section, at which material version. Whether it is outdated is computed from the
section's current material version, so history survives every change.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manuals.models import Revision, Section
from manuals.people.models import Team


class ConfirmationRequest(models.Model):
    """ "Everyone in this team (or group) confirms this section by then"."""

    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="confirmation_requests",
        verbose_name=_("section"),
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("team"),
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("group"),
    )
    due = models.DateField(_("due"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("confirmation request")
        verbose_name_plural = _("confirmation requests")
        # Requesting confirmations and (coming) building learning paths: the trainer
        # role (kbsite.roles) has it; section owners may request for their own.
        permissions = [("manage_training", _("Can manage training"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, group__isnull=True)
                | models.Q(team__isnull=True, group__isnull=False),
                name="confirmation_request_team_or_group",
            )
        ]

    def __str__(self):
        return f"{self.section_id} <- {self.team or self.group}"

    @property
    def audience_name(self) -> str:
        from manuals.roles import role_label

        return self.team.name if self.team_id else role_label(self.group)


class Confirmation(models.Model):
    """ "I have read and understood": one row per confirmation, never changed."""

    class Source(models.TextChoices):
        SECTION_PAGE = "page", _("On the section page")
        IMPORT = "import", _("Imported")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kb_confirmations",
        verbose_name=_("user"),
    )
    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="confirmations",
        verbose_name=_("section"),
    )
    revision = models.ForeignKey(
        Revision,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revision"),
    )
    revision_number = models.PositiveIntegerField(_("revision number"))
    material_version = models.PositiveIntegerField(_("material version"))
    created = models.DateTimeField(_("confirmed"), default=timezone.now)
    source = models.CharField(
        _("how"), max_length=10, choices=Source, default=Source.SECTION_PAGE
    )

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("read confirmation")
        verbose_name_plural = _("read confirmations")
        indexes = [models.Index(fields=["user", "section", "material_version"])]

    def __str__(self):
        return f"{self.user_id} read {self.section_id} r{self.revision_number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Read confirmations cannot be changed."))
        super().save(*args, **kwargs)


class Level(models.TextChoices):
    NEWCOMER = "newcomer", _("Newcomer")
    ADVANCED = "advanced", _("Advanced")
    EXPERT = "expert", _("Expert")


class LearningPath(models.Model):
    """An ordered set of steps a trainer assigns: onboarding, a refresher..."""

    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(
        _("level"), max_length=20, choices=Level, default=Level.NEWCOMER
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("learning path")
        verbose_name_plural = _("learning paths")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("training:path", kwargs={"pk": self.pk})


class PathStep(models.Model):
    """One step of a path. Reading steps are done by confirming their section(s);
    quizzes, live sessions and assessments come with the next issues."""

    class Kind(models.TextChoices):
        READING = "reading", _("Reading")
        QUIZ = "quiz", _("Quiz")
        SESSION = "session", _("Live session")
        ASSESSMENT = "assessment", _("Practical assessment")

    path = models.ForeignKey(
        LearningPath, on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind, default=Kind.READING
    )
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("section"),
    )
    subtree = models.BooleanField(_("with its subsections"), default=False)
    minutes = models.PositiveIntegerField(_("expected minutes"), default=0)
    prerequisite = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("after step"),
    )
    # Stored for the reading aids to come (scroll to the end, time on the page).
    min_dwell_seconds = models.PositiveIntegerField(
        _("minimum reading time (seconds)"), default=0
    )

    class Meta:
        ordering = ["path", "order", "pk"]
        verbose_name = _("path step")
        verbose_name_plural = _("path steps")

    def __str__(self):
        return f"{self.path_id}.{self.order} {self.kind}"


class PathAssignment(models.Model):
    """A path given to a team, a group (a role) or one person, with a due date:
    absolute, or a number of days after the person joined (or after the
    assignment, for people who were there before it)."""

    path = models.ForeignKey(
        LearningPath, on_delete=models.CASCADE, related_name="assignments"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    due = models.DateField(_("due"), null=True, blank=True)
    due_days = models.PositiveIntegerField(_("due after (days)"), null=True, blank=True)
    # Off: only the people in the team or group when it was assigned (by the date
    # their account was created); on: whoever is a member now.
    include_new_members = models.BooleanField(_("also new members"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("path assignment")
        verbose_name_plural = _("path assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(team__isnull=False, group__isnull=True, user__isnull=True)
                    | models.Q(
                        team__isnull=True, group__isnull=False, user__isnull=True
                    )
                    | models.Q(
                        team__isnull=True, group__isnull=True, user__isnull=False
                    )
                ),
                name="path_assignment_one_target",
            )
        ]

    def __str__(self):
        return f"{self.path_id} -> {self.team or self.group or self.user}"

    @property
    def audience_name(self) -> str:
        from manuals.roles import role_label

        if self.team_id:
            return self.team.name
        if self.group_id:
            return role_label(self.group)
        return self.user.get_username()
