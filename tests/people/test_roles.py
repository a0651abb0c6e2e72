"""Role display names: one helper, agreeing with kbsite.roles; other groups keep
their own names."""

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.utils import translation

from kbsite.roles import ROLES
from manuals.roles import ROLE_NAMES, is_role, restricted_groups, role_label


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


def test_section_settings_show_roles_by_their_display_names(tree, admin_user, client):
    """The restricted-groups checkboxes of a section say 客服/Agent, not `agent`;
    other groups keep their names."""
    from django.contrib.auth.models import Group
    from django.urls import reverse
    from django.utils import translation

    Group.objects.get_or_create(name="北区组")
    client.force_login(admin_user)
    url = reverse("manuals:settings", kwargs={"pk": tree["refund"].pk})
    with translation.override("en"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    labels = [" ".join(x.split()) for x in html.split("</label>")]
    assert any(x.endswith('id="id_groups_0"> Agent') for x in labels), labels
    assert any(x.endswith("> 北区组") for x in labels)
    assert not any(x.endswith("> agent") for x in labels)
