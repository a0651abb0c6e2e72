"""What a notification may be about, and who may read it.

Every notification is about a subject (a section, a block, a question, a piece of
feedback...). The app that owns the subject registers its read rule here, so the
notification service checks the recipient with the same rule as the page the
notification links to, at send time and again when the list is shown. The manual's
own subjects are registered below; faq and feedback register theirs in their
AppConfig.ready().
"""

from collections.abc import Callable

from django.db import models

from manuals import permissions
from manuals.models import Block, Section

_rules: dict[type[models.Model], Callable] = {}


def register(model: type[models.Model], can_read: Callable) -> None:
    """`can_read(user, obj) -> bool` for notifications about instances of `model`."""
    _rules[model] = can_read


def can_read(user, obj) -> bool:
    """May `user` read `obj`? Unknown kinds of subject: nobody (fail closed)."""
    if obj is None:
        return True
    if not user.is_active:
        return False
    for model, rule in _rules.items():
        if isinstance(obj, model):
            return bool(rule(user, obj))
    return False


def _section(user, section: Section) -> bool:
    return permissions.can_read(user, section)


register(Section, _section)
register(Block, permissions.can_read_block)
