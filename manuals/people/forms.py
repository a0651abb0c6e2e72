"""Forms of the people screens: the filters, an account, a team, a CSV upload."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from ..roles import ROLE_LABELS, restricted_groups, role_groups, role_label
from . import csvimport, selectors
from .models import Team

User = get_user_model()


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return role_label(obj)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


def person_label(user) -> str:
    name = user.get_full_name().strip()
    label = f"{name} ({user.get_username()})" if name else user.get_username()
    if not user.is_active:
        label += " — " + str(_("deactivated"))
    return label


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    group = forms.ModelChoiceField(
        label=_("Restricted group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Any"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("Any"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (selectors.ACTIVE, _("Active")),
            (selectors.INACTIVE, _("Deactivated")),
            (selectors.ANY, _("Everyone")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            ("", _("Any")),
            *((name, label) for name, label in ROLE_LABELS.items()),
            (selectors.NO_ROLE, _("No role")),
        ]
        self.fields["group"].queryset = restricted_groups()

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data["q"],
            "role": data["role"],
            "group": data["group"],
            "team": data["team"],
            "status": data["status"] or selectors.ACTIVE,
        }


class UserForm(forms.Form):
    """An account: create (with a username) or edit. The staff and superuser flags
    are there for superusers only."""

    username = User._meta.get_field("username").formfield()
    name = forms.CharField(
        label=_("Full name"),
        max_length=User._meta.get_field("first_name").max_length,
        required=False,
    )
    email = forms.EmailField(label=_("E-mail address"), required=False)
    roles = RoleChoiceField(
        label=_("Roles"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Agent reads the internal manual; Editor writes; Publisher publishes; "
            "Manager sees reports and manages people."
        ),
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Restricted groups"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sections restricted to a group are read by its members only."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_staff = forms.BooleanField(
        label=_("May use the admin site (staff)"), required=False
    )
    is_superuser = forms.BooleanField(
        label=_("Administrator (superuser): may do everything"), required=False
    )
    send_email = forms.BooleanField(
        label=_("E-mail the set-password link to them"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, actor, user=None, **kwargs):
        self.user = user
        if user is not None:
            groups = list(user.groups.all())
            kwargs.setdefault(
                "initial",
                {
                    "name": user.get_full_name().strip(),
                    "email": user.email,
                    "roles": [g for g in groups if g.name in ROLE_LABELS],
                    "groups": [g for g in groups if g.name not in ROLE_LABELS],
                    "teams": list(user.kb_teams.all()),
                    "is_staff": user.is_staff,
                    "is_superuser": user.is_superuser,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["roles"].queryset = role_groups()
        self.fields["groups"].queryset = restricted_groups()
        self.fields["teams"].queryset = Team.objects.all()
        if user is not None:
            del self.fields["username"]
            del self.fields["send_email"]
        if not actor.is_superuser:
            del self.fields["is_staff"]
            del self.fields["is_superuser"]
        if not self.fields["groups"].queryset.exists():
            del self.fields["groups"]

    def values(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        values = {
            "name": data["name"],
            "email": data["email"],
            "roles": data["roles"],
            "groups": data.get("groups") or [],
            "teams": data["teams"],
        }
        if "is_staff" in self.fields:
            values["is_staff"] = data["is_staff"]
            values["is_superuser"] = data["is_superuser"]
        if "username" in self.fields:
            values["username"] = data["username"]
        return values


class TeamForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=Team._meta.get_field("name").max_length
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=Team._meta.get_field("description").max_length,
        required=False,
    )
    lead = PersonChoiceField(
        label=_("Lead"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("(no lead)"),
    )
    members = PeopleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kb-people-choices"}),
    )

    def __init__(self, *args, team=None, **kwargs):
        if team is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": team.name,
                    "description": team.description,
                    "lead": team.lead,
                    "members": list(team.members.all()),
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = selectors.user_choices()
        self.fields["members"].queryset = selectors.user_choices()

    def values(self) -> dict:
        return dict(self.cleaned_data)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: name, e-mail, team, role (and username if you like), named "
            "in the first row. UTF-8 or GBK, as Excel saves it."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.text = csvimport.read_upload(upload)
        return upload


class ApplyForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    send_email = forms.BooleanField(
        label=_("E-mail each new person their set-password link"),
        required=False,
        initial=True,
    )
