"""The search outbox: one row per object whose index entry must be brought up to date.

Rows are written in the same database transaction as the content change, so a change
that commits always leaves its row behind, and a rolled-back change leaves none. A row
says only "make the index agree with the database for this object": applying it twice
is harmless, and it stays until applied (a crash or a busy index loses nothing).

PgDocument and PgTerm are the index of the PostgreSQL search backend
(backends/postgres.py); the whoosh backend keeps its index in files instead.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IndexTask(models.Model):
    doc_type = models.CharField(_("document type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=64)
    created = models.DateTimeField(_("created"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # After a failed build: not before this time (exponential backoff); null = now.
    next_attempt = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Failed too often: left alone by the appliers, reported by `search_index --check`
    # and on the section page, until `--fix` or a new change of the object retries it.
    parked = models.BooleanField(_("parked"), default=False)

    class Meta:
        app_label = "manuals"
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["doc_type", "object_id"], name="kb_indextask_object_idx"
            )
        ]
        verbose_name = _("search index task")
        verbose_name_plural = _("search index tasks")

    def __str__(self):
        return f"{self.doc_type}:{self.object_id}"


class PgDocument(models.Model):
    """One audience variant of a search document, for the PostgreSQL backend.

    `vector` and `title_vector` are built in Python from our own analysis (see
    pg_analysis); GIN indexes on both exist on PostgreSQL only (migration
    0006_pg_search), so the table is harmless on SQLite, where nothing uses it.
    """

    uid = models.CharField(max_length=200, unique=True)  # "<key>#<variant>"
    key = models.CharField(max_length=160, db_index=True)
    doc_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    for_public = models.BooleanField(default=False)  # this variant serves the public
    for_staff = models.BooleanField(default=False)  # this variant serves staff
    restricted = models.BooleanField(default=False)
    group_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    kind = models.CharField(max_length=40, blank=True)
    manual = models.CharField(max_length=64, blank=True)
    tags = ArrayField(models.TextField(), default=list, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    digest = models.CharField(max_length=40)
    vector = SearchVectorField(null=True)
    title_vector = SearchVectorField(null=True)
    # What this row added to PgTerm, so replacing it takes exactly that back out.
    stems = ArrayField(models.TextField(), default=list, blank=True)
    words = ArrayField(models.TextField(), default=list, blank=True)

    class Meta:
        app_label = "manuals"
        db_table = "kb_search_document"
        verbose_name = _("search document (PostgreSQL)")
        verbose_name_plural = _("search documents (PostgreSQL)")

    def __str__(self):
        return self.uid


class PgTerm(models.Model):
    """Vocabulary of the PostgreSQL index with document counts, for typo tolerance.

    field "stem": English stems in any indexed text (fuzzy matching of query words);
    "public" / "staff": unstemmed words of unrestricted text that audience may read
    ("did you mean"). Kept exact by the writer, which holds the index lock.
    """

    field = models.CharField(max_length=8)
    term = models.CharField(max_length=200)
    df = models.IntegerField(default=0)

    class Meta:
        app_label = "manuals"
        db_table = "kb_search_term"
        constraints = [
            models.UniqueConstraint(
                fields=["field", "term"], name="kb_search_term_uniq"
            )
        ]
        verbose_name = _("search term (PostgreSQL)")
        verbose_name_plural = _("search terms (PostgreSQL)")

    def __str__(self):
        return f"{self.field}:{self.term}"
