"""Starting templates for a new section of each kind (an SOP: purpose, scope...).

Headings are translatable, so a new section starts in the editor's interface language.
"""

from django.utils.translation import gettext as _

from .models import Kind


def starting_body(kind: str) -> str:
    """Markdown skeleton for a new section of `kind`."""
    builders = {
        Kind.SOP: lambda: "\n\n".join(
            [
                "## " + _("Purpose"),
                _("Why this procedure exists."),
                "## " + _("Scope"),
                _("Who follows it and in which situations."),
                "## " + _("Steps"),
                "1. \n2. \n3. ",
                "## " + _("Owner"),
                _("Who keeps this procedure current."),
            ]
        ),
        Kind.ESCALATION: lambda: "\n\n".join(
            [
                "## " + _("When to escalate"),
                "| {} | {} | {} | {} |\n| --- | --- | --- | --- |\n"
                "|  |  |  |  |".format(
                    _("Issue"), _("Threshold"), _("Escalate to"), _("Within")
                ),
                "## " + _("How to hand over"),
                _("What to write in the ticket."),
            ]
        ),
        Kind.POLICY: lambda: "\n\n".join(
            [
                "## " + _("Policy"),
                _("The rule in one paragraph."),
                "## " + _("Applies to"),
                "",
                "## " + _("Exceptions"),
                "",
                "## " + _("Effective date"),
                "",
            ]
        ),
        Kind.SCENARIO: lambda: "\n\n".join(
            [
                "## " + _("Situation"),
                "",
                "## " + _("Script"),
                _("Customer:") + " \n\n" + _("Agent:") + " ",
                "## " + _("Do and don't"),
                "- \n- ",
            ]
        ),
        Kind.PRODUCT: lambda: "\n\n".join(
            [
                "## " + _("Overview"),
                "",
                "## " + _("Specifications"),
                "| {} | {} |\n| --- | --- |\n|  |  |".format(_("Item"), _("Value")),
                "## " + _("Common questions"),
                "",
            ]
        ),
        Kind.RESOURCE: lambda: "\n\n".join(
            [
                "## " + _("Resources"),
                "| {} | {} | {} |\n| --- | --- | --- |\n|  |  |  |".format(
                    _("Name"), _("What it is for"), _("Link or contact")
                ),
            ]
        ),
        Kind.BEST_PRACTICE: lambda: "\n\n".join(
            [
                "## " + _("Why it matters"),
                "",
                "## " + _("How to do it"),
                "- \n- ",
                "## " + _("Example"),
                "",
            ]
        ),
    }
    build = builders.get(kind)
    return build() + "\n" if build else ""


def starting_bodies() -> dict[str, str]:
    """Every kind's skeleton, for the editor to swap in when the kind changes."""
    return {kind: starting_body(kind) for kind in Kind.values}
