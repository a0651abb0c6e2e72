"""The manual tree (a treebeard materialized path), immutable revisions, tags."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

# The vocabulary lives with the audience rule; importable from here as it always was.
from .audience import VISIBILITY_RANK, Audience, Visibility  # noqa: F401


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


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class SectionQuerySet(MP_NodeQuerySet):
    def readable_by(self, user, *, include_trash: bool = False):
        """Sections whose own visibility lets `user` read them.

        The services keep every section no wider than its parent, so a section's own
        visibility is its effective visibility and no ancestor walk is needed here.
        `include_trash` keeps trashed sections the user could read were they not in
        the trash (what the trash page may list to editors).
        """
        live = self if include_trash else self.filter(in_trash=False)
        audience = Audience.for_user(user)
        if audience.level != Audience.STAFF:
            return live.filter(audience.q())
        restricted_ids = Section.groups.through.objects.filter(
            group__in=audience.group_ids
        ).values("section_id")
        return live.filter(audience.q(restricted_ids=restricted_ids))

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

    def readable_by(self, user, *, include_trash: bool = False):
        return self.get_queryset().readable_by(user, include_trash=include_trash)

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
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last reviewed by"),
    )
    # Trash: the root of a deleted subtree records when and by whom; every node of the
    # subtree carries in_trash so listings filter with one indexed column.
    trashed_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deleted by"),
    )
    in_trash = models.BooleanField(default=False, db_index=True)
    # How many times what the section means has changed: +1 on its first publication
    # and on every publication of a material change (of its own text or of a block it
    # follows). Read confirmations given at an older number are outdated.
    material_version = models.PositiveIntegerField(_("material version"), default=0)
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
    # A minor edit (typo, formatting): published like any other, but nobody watching
    # is notified and read confirmations are not asked again.
    minor = models.BooleanField(_("minor edit"), default=False)
    # A material change: the meaning changed (a number, a step, a rule); publishing it
    # asks for read confirmations again.
    material = models.BooleanField(_("material change"), default=False)
    # When it first became what readers see: readers may compare published revisions
    # ("what changed since my last visit"), never drafts.
    first_published_at = models.DateTimeField(null=True, blank=True)
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


class Draft(models.Model):
    """Text not yet saved as a revision: an editor's autosave, or a conflict kept so
    that no one's words are lost when two people change the same lines."""

    class Kind(models.TextChoices):
        AUTOSAVE = "autosave", _("Autosave")
        CONFLICT = "conflict", _("Conflict")

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="drafts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.AUTOSAVE)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    base = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For a conflict: the head it collided with. Saving from that head resolves it.
    conflict_with = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-pk"]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        # One autosave per editor and section; every conflict is kept on its own.
        constraints = [
            models.UniqueConstraint(
                fields=["section", "user"],
                condition=models.Q(kind="autosave"),
                name="one_autosave_per_editor",
            )
        ]

    def __str__(self):
        return f"{self.kind} draft of {self.section_id} by {self.user_id}"


class EditPresence(models.Model):
    """Who has a section open in the editor; refreshed by a heartbeat."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="presences"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["section", "user"], name="one_presence")
        ]

    def __str__(self):
        return f"{self.user_id} editing {self.section_id}"


class ReviewRequest(models.Model):
    """A revision sent for review by an editor who may not publish."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes", _("Changes requested")

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="review_requests"
    )
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    status = models.CharField(
        max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    created = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")

    def __str__(self):
        return f"review of {self.revision}"


class ScheduledPublication(models.Model):
    """A revision to publish at a given time (by cron or lazily on access)."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="schedules"
    )
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="+")
    publish_at = models.DateTimeField(_("publish at"), db_index=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["publish_at"]

    def __str__(self):
        return f"publish {self.revision} at {self.publish_at}"


class AuditEntry(models.Model):
    """One thing someone did. Written by the services; never edited or deleted."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        EDIT = "edit", _("Edited")
        PUBLISH = "publish", _("Published")
        MOVE = "move", _("Moved")
        SETTINGS = "settings", _("Changed settings")
        VISIBILITY = "visibility", _("Changed visibility")
        DELETE = "delete", _("Moved to trash")
        UNDELETE = "undelete", _("Restored from trash")
        PURGE = "purge", _("Deleted for good")
        RESTORE = "restore", _("Restored a revision")
        REVIEW_SUBMIT = "review_submit", _("Sent for review")
        REVIEW_APPROVE = "review_approve", _("Approved")
        REVIEW_CHANGES = "review_changes", _("Requested changes")
        SCHEDULE = "schedule", _("Scheduled publishing")
        REVIEWED = "reviewed", _("Marked as reviewed")
        BLOCK_PUBLISH = "block_publish", _("Published a block")
        FAQ = "faq", _("Changed an FAQ entry")
        ADMIN = "admin", _("Changed in the admin site")
        PEOPLE = "people", _("Changed people or teams")
        TRAINING = "training", _("Changed training")

    action = models.CharField(_("action"), max_length=20, choices=Action, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(max_length=150, blank=True)
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("section"),
    )
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.created:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args, **kwargs):
        # The log is evidence: entries are written once and never changed.
        if not self._state.adding:
            raise ValidationError(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit entries cannot be deleted."))


class Block(models.Model):
    """A reusable fragment (a greeting script, a refund rule, a contact table) that
    sections and FAQ answers embed with {{block:KEY}} or {{block:KEY@N}}."""

    key = models.SlugField(
        _("key"),
        max_length=60,
        unique=True,
        help_text=_("Used in directives: {{block:key}}. Letters, digits, - and _."),
    )
    title = models.CharField(_("title"), max_length=200)
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility, default=Visibility.INTERNAL
    )
    groups = models.ManyToManyField(
        Group, blank=True, verbose_name=_("groups"), related_name="restricted_blocks"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_blocks",
        verbose_name=_("owner"),
    )
    head_revision = models.ForeignKey(
        "BlockRevision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_revision = models.ForeignKey(
        "BlockRevision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published revision"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    updated = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["key"]
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        permissions = [("publish_block", _("Can publish blocks"))]

    def __str__(self):
        return self.key

    def get_absolute_url(self):
        return reverse("manuals:block", kwargs={"key": self.key})

    @property
    def directive(self) -> str:
        return "{{block:" + self.key + "}}"


class BlockRevision(models.Model):
    """An immutable snapshot of a block's markdown."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="revisions")
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
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    minor = models.BooleanField(_("minor edit"), default=False)
    # Publishing a material change asks the readers of every following section again.
    material = models.BooleanField(_("material change"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["block", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["block", "number"], name="unique_block_revision_number"
            )
        ]

    def __str__(self):
        return f"{self.block_id} r{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("Revisions are immutable."))
        super().save(*args, **kwargs)


class BlockDraft(models.Model):
    """An editor's own text from a block save that collided with someone else's
    change: kept until a save from it succeeds or the editor discards it, so no
    one's words are lost (as Draft does for sections)."""

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    base = models.ForeignKey(
        BlockRevision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    conflict_with = models.ForeignKey(
        BlockRevision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-pk"]
        verbose_name = _("block draft")
        verbose_name_plural = _("block drafts")

    def __str__(self):
        return f"{self.block_id} draft of {self.user_id}"


class BlockUsage(models.Model):
    """One directive in a section, FAQ entry or block, refreshed on every save.

    The user is generic so other apps (FAQ answers) can embed blocks without the
    manual knowing them.
    """

    block = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="usages")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    user = GenericForeignKey("content_type", "object_id")
    pinned = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.block_id} in {self.content_type_id}:{self.object_id}"


class Media(models.Model):
    """An uploaded file (an image imported from Word, later pasted in the editor).

    It belongs to one section or one block and is served with that owner's read
    rule (manuals.media). Two nullable foreign keys with a check constraint rather
    than a generic relation: the database keeps them honest, purging an owner
    cascades to its media, and the serving view gets the owner in the same query.
    """

    file = models.FileField(_("file"), max_length=255, unique=True)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media",
        verbose_name=_("section"),
    )
    block = models.ForeignKey(
        Block,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media",
        verbose_name=_("block"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(section__isnull=False, block__isnull=True)
                | models.Q(section__isnull=True, block__isnull=False),
                name="media_has_one_owner",
            )
        ]

    def __str__(self):
        return self.file.name

    @property
    def owner(self) -> Section | Block:
        return self.section if self.section_id is not None else self.block


class Favourite(models.Model):
    """A section a reader starred; listed on their home page (readable ones only)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kb_favourites"
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="favourites"
    )
    created = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "section"], name="favourite_once_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user_id} ★ {self.section_id}"


class SectionVisit(models.Model):
    """The last time a reader opened a section, and which published revision they
    saw: "recently viewed", "changed since your last visit" and the diff a watcher's
    notification links to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kb_visits"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(
        Revision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewed = models.DateTimeField(_("viewed"), default=timezone.now)

    class Meta:
        ordering = ["-viewed", "-pk"]
        verbose_name = _("section visit")
        verbose_name_plural = _("section visits")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "section"], name="visit_once_per_user"
            )
        ]
        indexes = [models.Index(fields=["user", "-viewed"], name="visit_recent")]

    def __str__(self):
        return f"{self.user_id} @ {self.section_id}"


from .portal.models import PortalSettings  # noqa: E402,F401
from .search.models import IndexTask  # noqa: E402,F401
