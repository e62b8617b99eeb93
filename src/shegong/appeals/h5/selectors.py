"""Reads for the worker's pages. A worker has no account and no grants: their scope is the phone number
this session verified (`appeals.verified`), and a tracking number alone opens only the reduced view.
Both go through `Appeal.objects.unscoped()` on purpose — the filter below *is* the scope."""

from __future__ import annotations

from django.http import HttpRequest

from shegong.appeals.models import Appeal, Attachment
from shegong.appeals.tracking import normalise_tracking_no
from shegong.appeals.verified import my_appeals_q, verified_phone
from shegong.core import ratelimit
from shegong.core.middleware import client_ip
from shegong.core.scoping import ScopedQuerySet

# Tracking numbers are 45 random bits; misses are still capped per address so nobody can sweep them.
LOOKUP_MISSES = 20
LOOKUP_WINDOW_SECONDS = 3600


class TooManyLookups(Exception):
    """This address asked for too many tracking numbers that do not exist."""


def my_appeals(request: HttpRequest) -> ScopedQuerySet[Appeal]:
    """Appeals filed with this session's verified phone, newest first (none when not verified)."""
    return (
        Appeal.objects.unscoped()
        .filter(my_appeals_q(request))
        .select_related("category", "division", "unit")
        .order_by("-submitted_at", "-pk")
    )


def my_appeal(request: HttpRequest, tracking_no: str) -> Appeal | None:
    """The appeal with this number if it was filed with the verified phone."""
    if verified_phone(request) is None:
        return None
    return my_appeals(request).filter(tracking_no=normalise_tracking_no(tracking_no)).first()


def _miss_key(request: HttpRequest) -> str:
    return f"appeals-h5-lookup-miss:{client_ip(request) or 'unknown'}"


def appeal_by_tracking_no(request: HttpRequest, tracking_no: str) -> Appeal | None:
    """Any appeal by its tracking number, for the reduced view; raises TooManyLookups once this address
    has missed too often, and counts a miss."""
    key = _miss_key(request)
    if ratelimit.peek(key, window=LOOKUP_WINDOW_SECONDS) >= LOOKUP_MISSES:
        raise TooManyLookups
    appeal = (
        Appeal.objects.unscoped()
        .filter(tracking_no=normalise_tracking_no(tracking_no))
        .select_related("category")
        .first()
    )
    if appeal is None:
        ratelimit.hit(key, limit=LOOKUP_MISSES, window=LOOKUP_WINDOW_SECONDS)
    return appeal


def my_attachment(request: HttpRequest, tracking_no: str, pk: int) -> Attachment | None:
    """A photo of one of the verified phone's appeals."""
    appeal = my_appeal(request, tracking_no)
    if appeal is None:
        return None
    return Attachment.objects.filter(appeal=appeal, pk=pk).first()
