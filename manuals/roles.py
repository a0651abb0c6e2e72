"""What a role is called: the one place a role group's name becomes words.

Roles are the Django groups kbsite.roles sets up (agent, editor, publisher, manager,
trainer);
every other group restricts sections to its members and is shown by its own name.
The manual cannot import kbsite, so the role names are spelled here too (the manual
shows them in its own forms; people/ manages them);
tests/people/test_roles.py checks that both lists agree.
"""

from django.contrib.auth.models import Group
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import pgettext_lazy

# In the order a list of roles is shown: from reading to managing.
ROLE_LABELS = {
    "agent": pgettext_lazy("role", "Agent"),
    "editor": pgettext_lazy("role", "Editor"),
    "publisher": pgettext_lazy("role", "Publisher"),
    "manager": pgettext_lazy("role", "Manager"),
    "trainer": pgettext_lazy("role", "Trainer"),
}
ROLE_NAMES = tuple(ROLE_LABELS)


def _name(group) -> str:
    return group if isinstance(group, str) else group.name


def is_role(group) -> bool:
    """Is `group` (a Group or its name) a role rather than a restricted group?"""
    return _name(group) in ROLE_LABELS


def role_label(group) -> str:
    """A role's name in the reader's language; any other group's name as it is."""
    name = _name(group)
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


def role_order(group) -> tuple[int, str]:
    """Sort key: roles in ROLE_NAMES order, then other groups by name."""
    name = _name(group)
    if name in ROLE_LABELS:
        return (ROLE_NAMES.index(name), "")
    return (len(ROLE_NAMES), name.casefold())


def role_groups():
    """The role groups that exist, in ROLE_NAMES order (a queryset)."""
    order = Case(
        *(When(name=name, then=Value(i)) for i, name in enumerate(ROLE_NAMES)),
        output_field=IntegerField(),
    )
    return Group.objects.filter(name__in=ROLE_NAMES).order_by(order)


def restricted_groups():
    """Every other group: those that sections and blocks are restricted to."""
    return Group.objects.exclude(name__in=ROLE_NAMES).order_by("name")
