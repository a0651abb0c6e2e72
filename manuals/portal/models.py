"""The portal's look, edited in the admin: one row (a singleton) of site settings."""

from django.core.cache import cache
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..cache import key

CACHE_KEY = key("portal-settings", 1)

color_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb, for example #1a73e8.")
)


class PortalSettings(models.Model):
    """Site name, logo, colour and footer of /help/ and of the static export."""

    site_name = models.CharField(_("site name"), max_length=100, default="帮助中心")
    tagline = models.CharField(
        _("tagline"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("A short line under the search box on the home page."),
    )
    # A FileField, not an ImageField: Pillow is not a dependency. No SVG: it can
    # carry scripts and is served from our own origin.
    logo = models.FileField(
        _("logo"),
        upload_to="portal/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "gif", "webp"])],
    )
    logo_url = models.URLField(
        _("logo URL"), blank=True, help_text=_("Used when no logo is uploaded.")
    )
    primary_color = models.CharField(
        _("primary colour"),
        max_length=7,
        default="#1a73e8",
        validators=[color_validator],
    )
    footer_text = models.CharField(_("footer text"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")

    def __str__(self):
        return str(_("Portal settings"))

    def save(self, *args, **kwargs):
        # One row only: whatever is saved becomes row 1.
        self.pk = 1
        super().save(*args, **kwargs)
        cache.delete(CACHE_KEY)

    def delete(self, *args, **kwargs):
        cache.delete(CACHE_KEY)
        return super().delete(*args, **kwargs)

    @classmethod
    def load(cls) -> "PortalSettings":
        """The settings row (defaults when none was saved yet), cached."""
        obj = cache.get(CACHE_KEY)
        if obj is None:
            obj = cls.objects.filter(pk=1).first() or cls(pk=1)
            cache.set(CACHE_KEY, obj, 300)
        return obj

    @property
    def logo_src(self) -> str:
        """The logo's URL: the upload if there is one, else the configured URL."""
        if self.logo:
            return self.logo.url
        return self.logo_url
