"""Sending and checking one-time codes from the worker's pages, on top of the per-phone limits of
`core.phone_verification`: a cap per client address, so one machine cannot spray codes at many numbers."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from shegong.appeals.verified import mark_verified
from shegong.core import ratelimit
from shegong.core.middleware import client_ip
from shegong.core.phone_verification import CODE_TTL, RESEND_AFTER, VerificationError, send_code, verify_code
from shegong.core.pii import mask_phone

SENDS_PER_ADDRESS = 20
ADDRESS_WINDOW_SECONDS = 3600
RESEND_SECONDS = int(RESEND_AFTER.total_seconds())


@dataclass(frozen=True)
class SendResult:
    sent: bool
    message: str


def send(request: HttpRequest, phone: str) -> SendResult:
    """Ask for a code for `phone` (already normalised); the result's message is for the worker."""
    key = f"appeals-h5-otp-ip:{client_ip(request) or 'unknown'}"
    if not ratelimit.hit(key, limit=SENDS_PER_ADDRESS, window=ADDRESS_WINDOW_SECONDS).allowed:
        return SendResult(
            False, _("Too many codes were asked for from this network. Please try again later.")
        )
    try:
        send_code(phone=phone)
    except VerificationError as exc:
        return SendResult(False, exc.messages[0])
    return SendResult(
        True,
        _("We sent a 6-digit code to {phone}. It is valid for {minutes} minutes.").format(
            phone=mask_phone(phone), minutes=int(CODE_TTL.total_seconds() // 60)
        ),
    )


def check(request: HttpRequest, phone: str, code: str) -> None:
    """Accept the code and remember the phone in this session; raises VerificationError otherwise."""
    verify_code(phone=phone, code=code)
    mark_verified(request, phone)
