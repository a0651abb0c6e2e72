"""Who may manage people: managers (the manage_people permission) and superusers.

Managers give the roles and restricted groups; only superusers touch superusers and
the staff and superuser flags, so nobody can make themself more than a manager.
"""

MANAGE_PEOPLE = "people.manage_people"


def can_manage_people(user) -> bool:
    return user.is_active and user.has_perm(MANAGE_PEOPLE)


def can_change_user(actor, target) -> bool:
    """May `actor` change `target`'s roles, groups, teams, activity or password?
    Superuser accounts are for superusers to change."""
    if not can_manage_people(actor):
        return False
    return actor.is_superuser or not target.is_superuser


def can_set_admin_flags(actor) -> bool:
    """May `actor` set the staff and superuser flags?"""
    return actor.is_active and actor.is_superuser
