"""Forms of training: asking for read confirmations, building and assigning paths."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from manuals.models import Section
from manuals.people.models import Team
from manuals.roles import role_label, role_order

from .models import Level


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


class PathForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        depth = max(obj.depth - 1, 0)
        return "\u00a0\u00a0" * depth + obj.title


class StepForm(forms.Form):
    """Reading steps only for now: quizzes, live sessions and assessments arrive
    with their own issues (the model already knows the kinds)."""

    section = SectionChoiceField(label=_("Section to read"), queryset=None)
    subtree = forms.BooleanField(label=_("With its subsections"), required=False)
    minutes = forms.IntegerField(
        label=_("Expected minutes"), min_value=0, max_value=10000, initial=30
    )
    prerequisite = forms.ModelChoiceField(
        label=_("After step"), queryset=None, required=False
    )

    def __init__(self, *args, user, path, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = Section.objects.visible_to(user).filter(
            in_trash=False
        )
        self.fields["prerequisite"].queryset = path.steps.select_related("section")
        self.fields["prerequisite"].label_from_instance = lambda step: (
            f"{step.order}. {step.section.title if step.section else step.kind}"
        )


class AssignForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    group = GroupChoiceField(
        label=_("or a role or group"), queryset=Group.objects.all(), required=False
    )
    person = forms.ModelChoiceField(
        label=_("or one person"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    due = forms.DateField(
        label=_("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_days = forms.IntegerField(
        label=_("or due this many days after joining"),
        required=False,
        min_value=0,
        max_value=3650,
    )
    include_new_members = forms.BooleanField(
        label=_("Also people who join later"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups = sorted(Group.objects.all(), key=role_order)
        self.fields["group"].choices = [("", "---------")] + [
            (g.pk, role_label(g)) for g in groups
        ]

    def clean(self):
        data = super().clean()
        chosen = [k for k in ("team", "group", "person") if data.get(k)]
        if len(chosen) != 1:
            raise forms.ValidationError(_("Choose a team, a group or a person."))
        if data.get("due") and data.get("due_days") is not None:
            raise forms.ValidationError(_("Give a date or a number of days, not both."))
        return data
