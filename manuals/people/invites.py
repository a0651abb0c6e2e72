"""Set-password links: Django's password-reset tokens, for new people and resets.

A link works until it is used, the password or e-mail address changes or the user
logs in, and at most PASSWORD_RESET_TIMEOUT (default three days). Nothing is stored:
the token is a signature over the user's current state (default_token_generator).
E-mail goes out with Django's mail framework after the change is saved; a mail
server that fails is logged and the manager still has the link to pass on.
"""

import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invite:
    """A set-password link for one user, and whether it was e-mailed to them."""

    user: object
    url: str
    emailed: bool = False


def link_days() -> int:
    """How many days a link works (at least one)."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def set_password_path(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("people:set_password", kwargs={"uidb64": uid, "token": token})


def make(user, *, site_url: str) -> Invite:
    """The link for `user` as it is now; `site_url` is the site's address
    ("https://kb.example.com"), the page the manager is on."""
    return Invite(user=user, url=site_url.rstrip("/") + set_password_path(user))


def send(invites: list[Invite], *, reset: bool = False) -> list[Invite]:
    """E-mail each invite whose user has an address; the invites, marked sent."""
    wanted = [i for i in invites if i.user.email]
    if not wanted:
        return list(invites)
    sent = set()
    try:
        with get_connection() as connection:
            for invite in wanted:
                context = {
                    "user": invite.user,
                    "url": invite.url,
                    "days": link_days(),
                    "site_name": settings.KB_SITE_NAME,
                    "reset": reset,
                }
                subject = render_to_string("people/email/invite_subject.txt", context)
                body = render_to_string("people/email/invite_body.txt", context)
                message = EmailMessage(
                    " ".join(subject.split()),
                    body,
                    to=[invite.user.email],
                    connection=connection,
                )
                try:
                    message.send()
                except (smtplib.SMTPException, OSError):
                    log.exception("could not e-mail the link to %s", invite.user.pk)
                else:
                    sent.add(invite.user.pk)
    except (smtplib.SMTPException, OSError):  # opening or closing the connection
        log.exception("could not reach the mail server")
    return [Invite(user=i.user, url=i.url, emailed=i.user.pk in sent) for i in invites]
