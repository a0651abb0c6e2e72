"""Forms for creating, editing, moving and configuring sections."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from ..audience import takes_groups
from ..models import Kind, Revision, Section, Visibility
from ..rendering import body_limit, validate_body_size
from ..roles import role_label


def limit_body_field(field: forms.Field) -> None:
    """Tell the browser the body limit too (the validator is the rule)."""
    field.widget.attrs["maxlength"] = body_limit()


class GroupsField(forms.ModelMultipleChoiceField):
    """Groups a section or block is restricted to, roles by their display names."""

    def label_from_instance(self, obj):
        return role_label(obj)


class MaterialField(forms.TypedChoiceField):
    """Did the meaning change? Left to the site (None) unless the editor says.

    Radio buttons rather than a checkbox: an unticked box cannot tell "not material"
    from "I did not look", and without a script the form cannot pre-tick from a diff
    it has not seen yet, so the guess is made when saving (editing.material).
    """

    AUTO, YES, NO = "", "yes", "no"

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Material change"),
            choices=[
                (self.AUTO, _("Decide from the changes")),
                (self.YES, _("Yes: the meaning changed")),
                (self.NO, _("No")),
            ],
            coerce=lambda value: {self.YES: True, self.NO: False}.get(value),
            empty_value=None,
            required=False,
            initial=self.AUTO,
            widget=forms.RadioSelect,
            help_text=_(
                "Minor edit: tell nobody. Material change: what the text means changed "
                "(a number, an amount, a time limit, a step); readers who confirmed "
                "it are asked to read and confirm again. Left to the site, changed "
                "numbers, dates, list steps or embedded blocks count as material, "
                "typo-sized fixes do not."
            ),
            **kwargs,
        )


class RevisionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        strip=False,  # whitespace is markdown syntax, and line merges compare it
        validators=[validate_body_size],
        widget=forms.Textarea(
            attrs={"rows": 24, "class": "kb-editor-input", "spellcheck": "false"}
        ),
    )
    message = forms.CharField(
        label=_("What did you change?"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Optional summary")}),
    )
    minor = forms.BooleanField(
        label=_("Minor edit"),
        required=False,
        help_text=_("A typo or formatting: nobody watching is told."),
    )
    material = MaterialField()
    base = forms.ModelChoiceField(
        queryset=Revision.objects.none(), required=False, widget=forms.HiddenInput
    )
    # Set on the conflict page: the conflict draft that saving this form resolves.
    resolves = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, section: Section | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_body_field(self.fields["body"])
        if section is not None:
            self.fields["base"].queryset = section.revisions.all()


class SectionCreateForm(RevisionForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )
    groups = GroupsField(
        label=_("Groups (for restricted sections)"),
        queryset=Group.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["title", "kind", "visibility", "groups", "body", "message"]


class SectionSettingsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    groups = GroupsField(
        label=_("Groups (for restricted sections)"),
        queryset=Group.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
    )
    review_by = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )

    def clean_tags(self):
        raw = self.cleaned_data["tags"].replace("，", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]

    def clean(self):
        data = super().clean()
        if takes_groups(data.get("visibility")) and not data.get("groups"):
            self.add_error(
                "groups", _("Choose at least one group for a restricted section.")
            )
        return data


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Next to or into"), queryset=Section.objects.none()
    )
    position = forms.ChoiceField(
        label=_("Position"),
        choices=[
            ("before", _("Before it")),
            ("after", _("After it")),
            ("first-child", _("Inside it, first")),
            ("last-child", _("Inside it, last")),
        ],
        initial="last-child",
    )

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets
        self.fields["target"].label_from_instance = lambda s: (
            "\u2003" * (s.depth - 1) + s.title
        )
