"""Forms: asking a question, writing an entry, handling a question."""

from django import forms
from django.utils.translation import gettext_lazy as _

from manuals.models import Section
from manuals.rendering import validate_body_size
from manuals.sections.forms import limit_body_field

from .models import Category, Entry, EntryVisibility, Question, QuestionStatus


class AskForm(forms.Form):
    text = forms.CharField(label=_("Your question"), max_length=300)
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    section = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class SectionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "— " * (obj.depth - 1) + obj.title


class EntryForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    answer = forms.CharField(
        label=_("Answer"),
        validators=[validate_body_size],
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown, with the same block directives as sections."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    new_category = forms.CharField(
        label=_("or a new category"), max_length=100, required=False
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=EntryVisibility.choices,
        initial=EntryVisibility.INTERNAL,
    )
    # What the editor started from, so a save after someone else's is merged.
    base_question = forms.CharField(
        required=False, strip=False, widget=forms.HiddenInput
    )
    base_answer = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    related_sections = SectionsField(
        label=_("Related sections"),
        queryset=Section.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, sections=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_body_field(self.fields["answer"])
        if sections is not None:
            self.fields["related_sections"].queryset = sections

    def clean(self):
        data = super().clean()
        name = (data.get("new_category") or "").strip()
        if name:
            data["category"], _created = Category.objects.get_or_create(name=name)
        return data


class AnswerForm(EntryForm):
    """Answering a question: a new entry, or an existing entry that already answers."""

    existing = forms.ModelChoiceField(
        label=_("or link an existing entry"),
        queryset=Entry.objects.all(),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = False
        self.fields["question"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("existing") and not (data.get("answer") or "").strip():
            self.add_error("answer", _("Write an answer or choose an existing entry."))
        return data


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Duplicate of"), queryset=Question.objects.none()
    )

    def __init__(self, *args, question=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Question.objects.exclude(status=QuestionStatus.MERGED)
        if question is not None:
            qs = qs.exclude(pk=question.pk)
        self.fields["into"].queryset = qs.order_by("-created")


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the asker sees it)"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
