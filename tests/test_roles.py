"""Role groups: created after migrate, and `manage.py setup_roles` is idempotent."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from kbsite.roles import ROLES

pytestmark = pytest.mark.django_db

ROLE_NAMES = {"agent", "editor", "publisher", "manager", "trainer"}


def role_permissions():
    return {
        group.name: sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        )
        for group in Group.objects.filter(name__in=ROLE_NAMES)
    }


def test_role_groups_exist_after_migrate():
    """The agent, editor, publisher and manager groups exist in a migrated database."""
    assert set(Group.objects.values_list("name", flat=True)) >= ROLE_NAMES


def test_role_groups_have_the_defined_permissions():
    """Each role group holds exactly the permissions kbsite.roles defines."""
    assert role_permissions() == {name: sorted(perms) for name, perms in ROLES.items()}


def test_role_capabilities():
    """agent reads internal only; editor edits but cannot publish; publisher publishes."""
    perms = role_permissions()
    assert perms["agent"] == ["manuals.view_internal"]
    assert "manuals.change_section" in perms["editor"]
    assert "manuals.publish_section" not in perms["editor"]
    assert "manuals.publish_section" in perms["publisher"]


def test_post_migrate_recreates_missing_groups():
    """Running migrate again recreates deleted role groups (post_migrate hook)."""
    Group.objects.filter(name__in=ROLE_NAMES).delete()
    call_command("migrate", verbosity=0, interactive=False)
    assert set(Group.objects.values_list("name", flat=True)) >= ROLE_NAMES
    assert role_permissions() == {name: sorted(perms) for name, perms in ROLES.items()}


def test_setup_roles_is_idempotent():
    """Calling setup_roles twice leaves the same groups and permission counts."""
    out = StringIO()
    call_command("setup_roles", stdout=out)
    first = role_permissions()
    group_count = Group.objects.count()
    call_command("setup_roles", stdout=out)
    assert role_permissions() == first
    assert Group.objects.count() == group_count
    assert f"publisher: {len(ROLES['publisher'])} permissions" in out.getvalue()


def test_setup_roles_restores_removed_permission():
    """A permission removed from a role by hand comes back with setup_roles."""
    editor = Group.objects.get(name="editor")
    editor.permissions.clear()
    call_command("setup_roles", stdout=StringIO())
    assert role_permissions()["editor"] == sorted(ROLES["editor"])
