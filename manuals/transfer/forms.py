"""Forms of the import page: the upload, and the confirmation after the preview."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ..sections.selectors import move_targets

SUFFIXES = (".docx", ".zip", ".md")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A Word file (.docx), a Markdown file, or a zip of Markdown files."
        ),
    )
    parent = forms.TypedChoiceField(
        label=_("Import under"), coerce=int, required=False, empty_value=None
    )
    split_level = forms.TypedChoiceField(
        label=_("Word headings that start a new section"),
        coerce=int,
        initial=2,
        choices=[
            (1, _("Heading 1 only")),
            (2, _("Heading 1 and 2")),
            (3, _("Heading 1 to 3")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("(a new manual)"))] + [
            (s.pk, "— " * (s.depth - 1) + s.title) for s in move_targets(user)
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.KB_IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s; uploads may be at most %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        if not upload.name.lower().endswith(SUFFIXES):
            raise forms.ValidationError(_("Upload a .docx, .md or .zip file."))
        return upload


class ConfirmForm(forms.Form):
    partial = forms.BooleanField(
        label=_("Import what can be imported and skip files with problems"),
        required=False,
    )
