"""Public reads for the rider's pages that the search in `stations.selectors` does not cover: the stations
of one street (when the phone cannot say where it is), one station for its page, and a station by its
check-in code. Stations are public points: no scoping, but a closed-down station is never shown."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from shegong.divisions.models import Division
from shegong.stations.choices import Status
from shegong.stations.hours import LOCAL_TZ
from shegong.stations.models import Station, StationException, is_open

STREET_LIMIT = 60


@dataclass(frozen=True)
class Listed:
    station: Station
    open_now: bool


def stations_of_street(
    *, street: Division, amenity: str | None = None, at: datetime | None = None
) -> list[Listed]:
    """Stations in service in `street` or its communities, open now first, then by name."""
    at = at or timezone.now()
    rows = list(
        Station.all_objects.filter(Q(division=street) | Q(division__parent=street), status=Status.OPEN)
        .defer("contact_phone")
        .order_by("name")[: STREET_LIMIT * 4]
    )
    if amenity:
        rows = [s for s in rows if amenity in s.amenities]
    exceptions = _exceptions_on([s.pk for s in rows], at)
    listed = [Listed(station=s, open_now=is_open(s, at, exceptions=exceptions.get(s.pk, {}))) for s in rows]
    listed.sort(key=lambda item: (not item.open_now, item.station.name))
    return listed[:STREET_LIMIT]


def public_station(pk: int) -> Station | None:
    """A station for its public page: any status but closed down."""
    return (
        Station.all_objects.select_related("division", "operator_unit")
        .exclude(status=Status.CLOSED)
        .filter(pk=pk)
        .first()
    )


def station_by_checkin_token(token: str) -> Station | None:
    """The station whose current QR code carries `token` (a renewed code no longer matches)."""
    if not token or len(token) > 64:
        return None
    return Station.all_objects.select_related("division").filter(checkin_token=token).first()


def exception_today(station: Station, at: datetime | None = None) -> StationException | None:
    """The dated exception replacing today's (Asia/Shanghai) hours, if any."""
    day = (at or timezone.now()).astimezone(LOCAL_TZ).date()
    return StationException.objects.filter(station=station, date=day).first()


def _exceptions_on(ids: list[int], at: datetime) -> dict[int, dict[Any, Any]]:
    """Each station's exception for `at`'s local date, in one query."""
    day = at.astimezone(LOCAL_TZ).date()
    found: dict[int, dict[Any, Any]] = defaultdict(dict)
    if ids:
        for row in StationException.objects.filter(station_id__in=ids, date=day):
            found[row.station_id][row.date] = row.day_hours
    return found
