"""What every page's header needs from the FAQ: how many answers to your questions
you have not read yet (counted only when a template shows it)."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def notices(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"faq_unread": 0}
    known = getattr(user, "kb_unread_answers", None)  # read with the user (apps.py)
    if known is not None:
        return {"faq_unread": known}
    return {
        "faq_unread": SimpleLazyObject(
            lambda: selectors.unread_notifications(user=user).count()
        )
    }
