"""Forms of the blocks library."""

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from ..models import BlockRevision, Visibility
from ..rendering import validate_body_size
from ..sections.forms import GroupsField, MaterialField, limit_body_field


class BlockRevisionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        strip=False,
        validators=[validate_body_size],
        widget=forms.Textarea(attrs={"rows": 16, "class": "kb-editor-input"}),
    )
    message = forms.CharField(
        label=_("What did you change?"), max_length=255, required=False
    )
    minor = forms.BooleanField(
        label=_("Minor edit"),
        required=False,
        help_text=_("A typo or formatting: nobody watching is told."),
    )
    material = MaterialField()
    base = forms.ModelChoiceField(
        queryset=BlockRevision.objects.none(), required=False, widget=forms.HiddenInput
    )
    # Set on the conflict page: the kept text (BlockDraft) that saving resolves.
    resolves = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, block=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_body_field(self.fields["body"])
        if block is not None:
            self.fields["base"].queryset = block.revisions.all()


class BlockCreateForm(BlockRevisionForm):
    key = forms.SlugField(
        label=_("Key"),
        max_length=60,
        help_text=_("Used in directives: {{block:key}}. Letters, digits, - and _."),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )
    groups = GroupsField(
        label=_("Groups (for restricted sections)"),
        queryset=Group.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    field_order = ["key", "title", "visibility", "groups", "body"]
