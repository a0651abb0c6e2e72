"""The audit log: one call records who did what to which section, in the caller's
transaction, so an action and its record commit or roll back together."""

from .models import AuditEntry, Section


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
