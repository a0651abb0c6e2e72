"""The form a section's owner or a trainer asks for read confirmations with."""

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from manuals.people.models import Team
from manuals.roles import role_label, role_order


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return role_label(obj)


class ConfirmationRequestForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    group = GroupChoiceField(
        label=_("or a role or group"),
        queryset=Group.objects.all(),
        required=False,
    )
    due = forms.DateField(
        label=_("Confirm by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Why this matters (optional)")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = sorted(Group.objects.all(), key=role_order)
        self.fields["group"].choices = [("", "---------")] + [
            (g.pk, role_label(g)) for g in groups
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("group")):
            raise forms.ValidationError(_("Choose a team or a group, not both."))
        return data
