"""The audit log: one call records who did what to which section, in the caller's
transaction, so an action and its record commit or roll back together."""

from django.db.models import Q

from . import permissions
from .models import AuditEntry, Block, Section, Tag


def record(action: str, *, user, section: Section | None = None, obj=None, **detail):
    """Write one audit entry. `detail` must be JSON-serializable."""
    authenticated = user is not None and user.is_authenticated
    return AuditEntry.objects.create(
        action=action,
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        section=section,
        object_repr=str(obj if obj is not None else section or "")[:255],
        detail=detail,
    )


def readable_entries(user, entries=None):
    """The audit entries `user` may read, and how many others the same filter found.

    An entry is a read of what it is about: it names a section, a block, an FAQ
    entry or a tag, so it passes the check of that thing's own page. Entries about
    the rest (restricted, never published, trashed, purged, deleted) are counted,
    not described. Admins see everything. Anything this does not know is hidden.
    """
    entries = AuditEntry.objects.all() if entries is None else entries
    if user.is_superuser:
        return entries, 0
    sections = Section.objects.visible_to(user).values("pk")
    block_keys = [
        b.key
        for b in Block.objects.prefetch_related("groups")
        if permissions.can_read_block(user, b)
    ]
    tag_names = Tag.objects.filter(
        Q(section__isnull=True) | Q(section__in=sections)
    ).values("name")
    about_nothing = Q(section__isnull=True)
    allowed = (
        Q(section__in=sections)
        | about_nothing
        & Q(action=AuditEntry.Action.BLOCK_PUBLISH, detail__block__in=block_keys)
        | about_nothing
        & Q(action=AuditEntry.Action.ADMIN, detail__model="manuals.tag")
        & Q(object_repr__in=tag_names)
        | about_nothing
        & Q(action=AuditEntry.Action.ADMIN, detail__model="manuals.portalsettings")
    )
    if permissions.can_read_internal(user):
        # FAQ entries and categories are public or internal: staff read them all.
        allowed |= about_nothing & (
            Q(action=AuditEntry.Action.FAQ)
            | Q(
                action=AuditEntry.Action.ADMIN,
                detail__model__in=["faq.entry", "faq.category"],
            )
        )
    if user.is_active and user.has_perm("people.manage_people"):
        # Who created, changed or deactivated whom (manuals.people): for those who
        # manage people. Asked by the permission's name: the manual imports no app.
        allowed |= about_nothing & Q(action=AuditEntry.Action.PEOPLE)
    readable = entries.filter(allowed)
    return readable, entries.count() - readable.count()
