"""Role display names: one helper, agreeing with kbsite.roles; other groups keep
their own names."""

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.utils import translation

from kbsite.roles import ROLES
from manuals.people.roles import ROLE_NAMES, is_role, restricted_groups, role_label


def test_role_names_agree_with_the_role_setup():
    """Every role kbsite.roles sets up has a display name here, and no more."""
    assert set(ROLE_NAMES) == set(ROLES)


def test_role_label():
    assert role_label("agent") == "Agent"
    assert role_label("manager") == "Manager"
    assert role_label("Shanghai VIP desk") == "Shanghai VIP desk"
    assert is_role("editor") and not is_role("Shanghai VIP desk")


def test_role_label_follows_the_language():
    """In Chinese the label comes from the catalogue under the "role" context."""
    from django.utils.translation import pgettext

    with translation.override("zh-hans"):
        assert role_label("publisher") == pgettext("role", "Publisher")


@pytest.mark.django_db
def test_role_name_filter():
    vip = Group.objects.create(name="vip-desk")
    html = Template("{% load people %}{{ a|role_name }}/{{ b|role_name }}").render(
        Context({"a": Group.objects.get(name="editor"), "b": vip})
    )
    assert html == "Editor/vip-desk"
    assert list(restricted_groups()) == [vip]
