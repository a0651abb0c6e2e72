"""The roles: Django groups with permissions, defined here and nowhere else.

agent reads internal sections; editor creates and edits; publisher may publish;
manager reads reports and manages people (users, roles, teams: manuals.people);
trainer asks for read confirmations and (coming) builds learning paths.
Admins are superusers.
"""

from django.contrib.auth.models import Group, Permission

ROLES: dict[str, list[str]] = {
    "agent": ["manuals.view_internal"],
    "editor": [
        "manuals.view_internal",
        "manuals.add_section",
        "manuals.change_section",
        "manuals.delete_section",
        "manuals.view_section",
        "manuals.add_block",
        "manuals.change_block",
        "manuals.delete_block",
        "faq.add_entry",
        "faq.change_entry",
        "faq.delete_entry",
        "faq.change_question",
    ],
    "publisher": [
        "manuals.view_internal",
        "manuals.publish_section",
        "manuals.publish_block",
    ],
    "manager": [
        "manuals.view_internal",
        "manuals.view_auditentry",
        "feedback.view_reports",
        "feedback.change_articlefeedback",
        "people.manage_people",
    ],
    "trainer": [
        "manuals.view_internal",
        "training.manage_training",
    ],
}


def setup_roles() -> dict[str, Group]:
    """Create or update the role groups; idempotent. Returns them by name."""
    groups = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.add(*wanted)
        groups[name] = group
    return groups
