"""The sentence each kind of notification says, in the reader's language."""

from django.utils.translation import gettext_lazy as _

from .models import Kind

MESSAGES = {
    Kind.REVIEW_REQUESTED: _("%(actor)s asks you to review “%(text)s”"),
    Kind.REVIEW_APPROVED: _("%(actor)s approved and published “%(text)s”"),
    Kind.REVIEW_CHANGES: _("%(actor)s asks for changes to “%(text)s”"),
    Kind.QUESTION_ANSWERED: _("Your question was answered: “%(text)s”"),
    Kind.QUESTION_DECLINED: _("Your question was not taken up: “%(text)s”"),
    Kind.FEEDBACK_ASSIGNED: _("%(actor)s assigned you feedback on “%(text)s”"),
    Kind.GAP_ASSIGNED: _("%(actor)s assigned you a knowledge gap: “%(text)s”"),
    Kind.SECTION_CHANGED: _("“%(text)s” was updated"),
    Kind.BLOCK_CHANGED: _("The block “%(text)s” was updated"),
    Kind.REVIEW_DUE: _("“%(text)s” is due for review"),
    Kind.CONFIRMATION_REQUESTED: _("%(actor)s asks you to read and confirm “%(text)s”"),
    Kind.PATH_ASSIGNED: _("%(actor)s assigned you the learning path “%(text)s”"),
    Kind.RECONFIRM: _(
        "“%(text)s” changed in meaning since you confirmed it: please read it again"
    ),
}


def message_for(notification) -> str:
    template = MESSAGES.get(notification.kind)
    actor = notification.actor if notification.actor_id else None
    name = ""
    if actor is not None:
        name = actor.get_full_name() or actor.get_username()
    if template is None:
        return notification.text
    return template % {"actor": name or _("Someone"), "text": notification.text}
