"""Login throttling on top of django-axes: the caps it has no setting for, and the
login page that says why a login is refused.

Axes counts failures per (account, address) pair (AXES_LOCKOUT_PARAMETERS). Alone that
lets one address try a few passwords on every account, and many addresses try a few
each on one account. This handler also counts failures per address and per account,
each against its own, higher cap, and reports whichever is nearest its limit.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q, Sum
from django.shortcuts import render


class LockoutHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler with a per-address and a per-account cap."""

    # Settings naming each cap; subclasses may point elsewhere.
    address_limit_setting = "KB_LOGIN_ADDRESS_FAILURE_LIMIT"
    account_limit_setting = "KB_LOGIN_ACCOUNT_FAILURE_LIMIT"

    def get_failures(self, request, credentials=None) -> int:
        """Failures on the scale of AXES_FAILURE_LIMIT: the pair's own count, or an
        address's or account's count scaled so that reaching its cap locks."""
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        attempts = AccessAttempt.objects.filter(
            Q(username=username) | Q(ip_address=address)
        )
        if get_cool_off(request) is not None:
            attempts = attempts.filter(
                attempt_time__gte=get_cool_off_threshold(request)
            )
        failures = "failures_since_start"
        totals = attempts.aggregate(
            pair=Sum(failures, filter=Q(username=username, ip_address=address)),
            address=Sum(failures, filter=Q(ip_address=address)),
            account=Sum(failures, filter=Q(username=username)),
        )
        limit = get_failure_limit(request, credentials)
        scaled = [totals["pair"] or 0]
        for key, setting in (
            ("address", self.address_limit_setting),
            ("account", self.account_limit_setting),
        ):
            cap = getattr(settings, setting, 0)
            if cap:
                scaled.append((totals[key] or 0) * limit // cap)
        return max(scaled)


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, with the typed name and why it is refused (HTTP 429)."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "lockout_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(
        request,
        "registration/login.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
