"""Template filters of the people screens: a role group's display name, and a
user's roles and restricted groups apart."""

from django import template

from ...roles import is_role, role_label, role_order

register = template.Library()


@register.filter
def role_name(group) -> str:
    """A role's translated name ("Agent"); any other group's own name."""
    return role_label(group)


@register.filter
def roles_of(user) -> list:
    """The user's role groups, in role order (reads the prefetched groups)."""
    return sorted((g for g in user.groups.all() if is_role(g)), key=role_order)


@register.filter
def restricted_groups_of(user) -> list:
    return sorted((g for g in user.groups.all() if not is_role(g)), key=role_order)
