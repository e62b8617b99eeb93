"""An appeal as a GeoReport v2 service request. Nothing personal leaves here: no phone, no name, no photo
(photos are served only through the checked attachment view, so `media_url` stays empty)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.appeals.choices import State
from shegong.appeals.models import Appeal
from shegong.appeals.schemas import running_due
from shegong.stations.geo import gcj02_to_wgs84

COORD_PLACES = 6


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def service_notice(appeal: Appeal) -> str:
    """What happens next and by when, in words (the running deadline)."""
    due = running_due(appeal)
    if appeal.state == State.SUBMITTED:
        return _("Received; the intake desk will review it.")
    if appeal.state == State.ACCEPTED:
        return _("Accepted; waiting to be dispatched to a responsible unit.")
    if appeal.state == State.DISPATCHED and due:
        return _("The responsible unit is to sign for it by {time}.").format(time=_when(due))
    if appeal.state == State.IN_PROGRESS and due:
        return _("The responsible unit is to reply by {time}.").format(time=_when(due))
    if appeal.state == State.REPLIED and due:
        return _("Replied; the worker is to be asked for a rating by {time}.").format(time=_when(due))
    return ""


def wgs84(appeal: Appeal) -> tuple[float | None, float | None]:
    """The stored GCJ-02 point (what Chinese maps use) as WGS-84, the spec's projection."""
    if appeal.lat is None or appeal.lng is None:
        return None, None
    lat, lng = gcj02_to_wgs84(float(appeal.lat), float(appeal.lng))
    return round(lat, COORD_PLACES), round(lng, COORD_PLACES)


def updated_at(appeal: Appeal) -> dt.datetime:
    """When a closed appeal was closed (the spec's rule); otherwise its latest timeline entry."""
    if not appeal.is_open and appeal.closed_at:
        return appeal.closed_at
    return getattr(appeal, "last_event_at", None) or appeal.submitted_at


def request_entry(appeal: Appeal) -> dict[str, Any]:
    """The spec's <request> elements, in the spec's order (no zipcode: appeals have none)."""
    category, unit = appeal.category, appeal.unit
    lat, lng = wgs84(appeal)
    return {
        "service_request_id": appeal.tracking_no,
        "status": "open" if appeal.is_open else "closed",
        "status_notes": str(State(appeal.state).label),
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": appeal.text,
        "agency_responsible": unit.name if unit else None,
        "service_notice": service_notice(appeal),
        "requested_datetime": appeal.submitted_at,
        "updated_datetime": updated_at(appeal),
        "expected_datetime": running_due(appeal),
        "address": appeal.address,
        "address_id": appeal.division_id,
        "lat": lat,
        "long": lng,
        "media_url": None,
    }
