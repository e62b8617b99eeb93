"""A worker's verified phone in the session: after `core.phone_verification.verify_code` succeeds, the H5
pages (and the API, for a phone-verified browser session) remember the phone for VERIFIED_FOR, so that a
worker files, lists, rates and withdraws without a new code for every step.

The phone is kept encrypted with the field key (sessions live in the database and should not hold a
plain phone number); `my_appeals_q` selects the appeals filed with that phone.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from shegong.core import pii

SESSION_KEY = "appeals.verified_phone"
VERIFIED_FOR = dt.timedelta(minutes=30)


def mark_verified(request: HttpRequest, phone: str) -> None:
    """Remember that this session proved it holds `phone` (call only after verify_code succeeded)."""
    normal = pii.normalise(pii.PIIKind.PHONE, phone)
    request.session.cycle_key()  # a new session id once the session holds a proof
    request.session[SESSION_KEY] = {
        "phone": pii.encrypt(normal),
        "hash": pii.blind_index(pii.PIIKind.PHONE, normal),
        "until": (timezone.now() + VERIFIED_FOR).timestamp(),
    }


def _entry(request: HttpRequest) -> dict[str, object] | None:
    entry = request.session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return None
    until = entry.get("until")
    if not isinstance(until, int | float) or until < timezone.now().timestamp():
        request.session.pop(SESSION_KEY, None)
        return None
    return entry


def verified_phone(request: HttpRequest) -> str | None:
    """The verified phone number of this session, or None (never verified, or expired)."""
    entry = _entry(request)
    if entry is None:
        return None
    try:
        return pii.decrypt(str(entry["phone"]))
    except pii.PIIDecryptError:
        request.session.pop(SESSION_KEY, None)
        return None


def my_appeals_q(request: HttpRequest) -> Q:
    """Q for the appeals filed with this session's verified phone (nothing when not verified); matches
    under every field key, so appeals stay found during a key rotation."""
    phone = verified_phone(request)
    if not phone:
        return Q(pk__in=[])
    return pii.pii_match("phone_hash", pii.PIIKind.PHONE, phone)


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
