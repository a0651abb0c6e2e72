"""The manual tree (a treebeard materialized path), immutable revisions, tags."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


class Kind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    CHAPTER = "chapter", _("Chapter")
    POLICY = "policy", _("Policy")
    SOP = "sop", _("SOP")
    PRODUCT = "product", _("Product knowledge")
    ESCALATION = "escalation", _("Escalation procedure")
    RESOURCE = "resource", _("Resource list")
    BEST_PRACTICE = "best_practice", _("Best practice")
    SCENARIO = "scenario", _("Scenario script")
    ARTICLE = "article", _("Article")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal (staff)")
    RESTRICTED = "restricted", _("Restricted to groups")


# Narrower visibility ranks higher; a section is never wider than its parent.
VISIBILITY_RANK = {
    Visibility.PUBLIC: 0,
    Visibility.INTERNAL: 1,
    Visibility.RESTRICTED: 2,
}


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class SectionQuerySet(MP_NodeQuerySet):
    def readable_by(self, user):
        """Sections whose own visibility lets `user` read them.

        The services keep every section no wider than its parent, so a section's own
        visibility is its effective visibility and no ancestor walk is needed here.
        """
        if user.is_superuser:
            return self
        if not user.is_authenticated or not user.has_perm("manuals.view_internal"):
            return self.filter(visibility=Visibility.PUBLIC)
        return self.filter(
            models.Q(visibility__in=[Visibility.PUBLIC, Visibility.INTERNAL])
            | models.Q(
                visibility=Visibility.RESTRICTED,
                groups__in=user.groups.values("pk"),
            )
        ).distinct()

    def visible_to(self, user):
        """What `user` may see in the tree: readable, and published unless an editor."""
        qs = self.readable_by(user)
        if not user.has_perm("manuals.change_section"):
            qs = qs.filter(published_revision__isnull=False)
        return qs


class SectionManager(MP_NodeManager):
    # treebeard's manager builds its own queryset class; ours adds permission filters.
    def get_queryset(self):
        return SectionQuerySet(self.model, using=self._db).order_by("path")

    def readable_by(self, user):
        return self.get_queryset().readable_by(user)

    def visible_to(self, user):
        return self.get_queryset().visible_to(user)


class Section(MP_Node):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True, blank=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind, default=Kind.ARTICLE
    )
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility, default=Visibility.INTERNAL
    )
    groups = models.ManyToManyField(
        Group,
        blank=True,
        verbose_name=_("groups"),
        related_name="restricted_sections",
        help_text=_("Who may read a section restricted to groups."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_sections",
        verbose_name=_("owner"),
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("tags"))
    head_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_revision = models.ForeignKey(
        "Revision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published revision"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    objects = SectionManager()

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        permissions = [
            ("view_internal", _("Can read internal sections")),
            ("publish_section", _("Can publish sections")),
        ]
        indexes = [models.Index(fields=["published_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.slug:
            return reverse("manuals:section", kwargs={"pk": self.pk, "slug": self.slug})
        return reverse("manuals:section_id", kwargs={"pk": self.pk})

    @property
    def has_unpublished_changes(self) -> bool:
        return self.head_revision_id != self.published_revision_id


class Revision(models.Model):
    """An immutable snapshot of a section's title and markdown body."""

    section = models.ForeignKey(
        Section,
        on_delete=models.CASCADE,
        related_name="revisions",
        verbose_name=_("section"),
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    message = models.CharField(_("message"), max_length=255, blank=True)
    base = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("based on"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["section", "-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="unique_revision_number"
            )
        ]

    def __str__(self):
        return f"{self.section_id} r{self.number}: {self.title}"

    def save(self, *args, **kwargs):
        # Revisions are history: once written they are never changed.
        if not self._state.adding:
            raise ValidationError(_("Revisions are immutable."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(
            "manuals:revision", kwargs={"pk": self.section_id, "number": self.number}
        )
