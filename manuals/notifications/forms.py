from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind, Preference


class PreferenceForm(forms.ModelForm):
    email_kinds = forms.MultipleChoiceField(
        label=_("E-mail me about"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("In the site you are always told; e-mail only what you tick."),
    )

    class Meta:
        model = Preference
        fields = ["email"]
        widgets = {"email": forms.RadioSelect}
        labels = {"email": _("E-mail")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        muted = set(self.instance.muted_kinds or [])
        self.fields["email_kinds"].initial = [k for k in Kind.values if k not in muted]

    def muted_kinds(self) -> list[str]:
        wanted = set(self.cleaned_data["email_kinds"])
        return [k for k in Kind.values if k not in wanted]
