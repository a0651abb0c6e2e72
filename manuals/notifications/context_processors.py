"""The header's bell: how many unread notifications (read with the user row)."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}
    return {
        "notifications_unread": SimpleLazyObject(
            lambda: selectors.unread_count(user=user)
        )
    }
