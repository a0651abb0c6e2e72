"""Forms: the article survey, inbox filters and triage actions."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manuals.models import Revision, Section

from .models import COMMENT_MAX_LENGTH, Reason, Status

User = get_user_model()
RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class CommentField(forms.CharField):
    """A textarea's text with line breaks as the browser counts them.

    Browsers count a line break as one character against `maxlength` but send it as
    two (CR LF), so a comment that fitted the box could fail the same limit here.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


class SurveyForm(forms.Form):
    """Helpful yes/no (step one), then optional rating, reasons and comment."""

    helpful = forms.TypedChoiceField(
        label=_("Was this article helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose yes or no."),
            "invalid_choice": _("Please choose yes or no."),
        },
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    reasons = forms.MultipleChoiceField(
        label=_("What was wrong?"),
        choices=Reason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = CommentField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
        error_messages={
            "max_length": _(
                "The comment is too long: at most %(limit_value)d characters, and "
                "it has %(show_value)d. Shorten it and send it again."
            )
        },
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)
    # Honeypot: hidden from people by CSS, filled in by form-spamming robots.
    website = forms.CharField(required=False, label=_("Leave this empty"))


def editors_queryset():
    """Active users who may edit sections: whom feedback and gaps are assigned to."""
    perm = Q(
        groups__permissions__codename="change_section",
        groups__permissions__content_type__app_label="manuals",
    ) | Q(
        user_permissions__codename="change_section",
        user_permissions__content_type__app_label="manuals",
    )
    return (
        User.objects.filter(is_active=True)
        .filter(perm | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Open (new and in progress)")), ("all", _("All"))]
        + list(Status.choices),
        required=False,
    )
    section = forms.ModelChoiceField(
        label=_("Section"),
        queryset=Section.objects.none(),
        required=False,
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—")] + list(Reason.choices), required=False
    )
    helpful = forms.ChoiceField(
        label=_("Helpful"),
        choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        required=False,
    )
    rating = forms.ChoiceField(
        label=_("Rating"), choices=[("", "—")] + RATING_CHOICES, required=False
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, sections=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = sections or Section.objects.none()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = editors_queryset()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    revision = forms.ModelChoiceField(
        label=_("Fixed in revision"),
        queryset=Revision.objects.none(),
        required=False,
        help_text=_("Resolving links the revision that fixed it."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, section=None, **kwargs):
        super().__init__(*args, **kwargs)
        if section is not None:
            revisions = Revision.objects.filter(section=section).order_by("-number")
            self.fields["revision"].queryset = revisions
            self.fields["revision"].label_from_instance = lambda r: (
                f"#{r.number} {r.created:%Y-%m-%d} {r.message}"
            )
