"""Admins set up team chat channels here, and can see the delivery outbox."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ChatChannel, Delivery, Kind, Notification

# What a team channel may be told about: changes everyone on the team reads.
CHANNEL_KINDS = [
    (Kind.SECTION_CHANGED, Kind.SECTION_CHANGED.label),
    (Kind.BLOCK_CHANGED, Kind.BLOCK_CHANGED.label),
]


class ChatChannelForm(forms.ModelForm):
    url = forms.URLField(
        label=_("webhook address"), max_length=500, assume_scheme="https"
    )
    kinds = forms.MultipleChoiceField(
        label=_("Tell the channel about"),
        choices=CHANNEL_KINDS,
        widget=forms.CheckboxSelectMultiple,
        initial=[Kind.SECTION_CHANGED],
    )

    class Meta:
        model = ChatChannel
        fields = [
            "name",
            "platform",
            "url",
            "secret",
            "team",
            "group",
            "kinds",
            "section",
            "active",
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("group")):
            raise forms.ValidationError(_("Choose a team or a group (one of them)."))
        return data


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelForm
    list_display = ["name", "platform", "team", "group", "active"]
    list_filter = ["platform", "active"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "channel", "status", "attempts", "next_attempt", "last_error"]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry_now"]

    @admin.action(description=_("Retry now"))
    def retry_now(self, request, queryset):
        from django.utils import timezone

        queryset.exclude(status=Delivery.Status.SENT).update(
            status=Delivery.Status.PENDING, next_attempt=timezone.now()
        )

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created", "recipient", "kind", "text", "read_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
