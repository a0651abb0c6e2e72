"""Teams: a lead and members. Notifications route team channels by them and the
training reports group learners by them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kb_led_teams",
        verbose_name=_("lead"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="kb_teams",
        verbose_name=_("members"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        # Managing people (users, their roles and teams) in the site's own screens;
        # kbsite.roles gives it to managers.
        permissions = [("manage_people", _("Can manage people and teams"))]

    def __str__(self):
        return self.name
