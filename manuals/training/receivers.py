"""What training does when the manual tells it something changed."""

from django.dispatch import receiver

from manuals.signals import material_changed

from . import services


@receiver(material_changed, dispatch_uid="training-reconfirm")
def ask_again(sender, section_ids, user=None, **kwargs):
    """A material change outdates the section's confirmations: those who had
    confirmed and are still asked are told (the bar comes back by itself)."""
    services.reconfirm_notify(section_ids=section_ids, user=user)
