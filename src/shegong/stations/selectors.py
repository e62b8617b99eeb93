"""Reads of stations.

Public search (`nearest`, `within`) is not scoped: stations are public points on a map. It runs on SQLite
and PostgreSQL without PostGIS: a bounding box on the indexed (lat, lng) columns, then exact haversine
distances and the amenity/open-now filters in Python on the few candidates. `nearest` widens the box
(doubling the radius) until k stations pass the filters within the radius, so the answer is exact.
Inputs are GCJ-02; `from_browser` converts a WGS-84 position from the Geolocation API.

Staff reads are scoped: `stations_visible_to(user=…)`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.core.scoping import ScopedQuerySet
from shegong.stations import geo, hours
from shegong.stations.choices import Amenity, Direction, StationsPerm, Status
from shegong.stations.models import Station, StationException, is_open

START_RADIUS_M = 1_000.0
MAX_RADIUS_M = 50_000.0  # past this a rider wants a different answer than "a station 60 km away"
MAX_K = 50

# Only what the list needs: the encrypted phone is deferred (decrypting it for every candidate would cost
# more than the search); callers that show it load it for their k results.
_FIELDS = (
    "id",
    "name",
    "kind",
    "division_id",
    "address",
    "lat",
    "lng",
    "amenities",
    "opening_hours",
    "status",
)


@dataclass(frozen=True)
class Nearby:
    station: Station
    distance_m: float
    direction: Direction
    open_now: bool


def from_browser(*, lat: object, lng: object) -> tuple[float, float]:
    """A browser's WGS-84 position, validated and converted to GCJ-02."""
    wlat, wlng = geo.validate_point(lat, lng)
    return geo.wgs84_to_gcj02(wlat, wlng)


def _check_amenity(amenity: str | None) -> None:
    if amenity is not None and amenity not in Amenity.values:
        raise ValidationError(_("Unknown amenity “{code}”.").format(code=amenity), code="unknown_amenity")


def _candidates(lat: float, lng: float, radius_m: float) -> list[Station]:
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, radius_m)
    return list(
        Station.all_objects.filter(
            lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng, status=Status.OPEN
        ).only(*_FIELDS)
    )


def _exceptions_on(stations: list[Station], at: datetime) -> dict[int, dict[Any, Any]]:
    """Each station's exception for `at`'s local date, in one query."""
    day = at.astimezone(hours.LOCAL_TZ).date()
    found: dict[int, dict[Any, Any]] = defaultdict(dict)
    if stations:
        rows = StationException.objects.filter(station_id__in=[s.pk for s in stations], date=day)
        for row in rows:
            found[row.station_id][row.date] = row.day_hours
    return found


def _rank(
    stations: list[Station],
    *,
    lat: float,
    lng: float,
    radius_m: float,
    amenity: str | None,
    open_now: bool,
    at: datetime,
) -> list[Nearby]:
    close = []
    for station in stations:
        if amenity is not None and amenity not in station.amenities:
            continue
        distance = geo.haversine_m(lat, lng, station.lat, station.lng)
        if distance <= radius_m:
            close.append((distance, station))
    exceptions = _exceptions_on([s for _d, s in close], at)
    ranked = []
    for distance, station in close:
        serving = is_open(station, at, exceptions=exceptions.get(station.pk, {}))
        if open_now and not serving:
            continue
        ranked.append(
            Nearby(
                station=station,
                distance_m=distance,
                direction=geo.direction(lat, lng, station.lat, station.lng),
                open_now=serving,
            )
        )
    ranked.sort(key=lambda n: (n.distance_m, n.station.pk))
    return ranked


def nearest(
    *,
    lat: float,
    lng: float,
    k: int = 5,
    amenity: str | None = None,
    open_now: bool = True,
    at: datetime | None = None,
    max_radius_m: float = MAX_RADIUS_M,
) -> list[Nearby]:
    """The k stations in service nearest to the GCJ-02 point, nearest first, within `max_radius_m`.

    `amenity` keeps stations offering it; `open_now` keeps those open at `at` (default: now).
    """
    lat, lng = geo.validate_point(lat, lng)
    if not 1 <= k <= MAX_K:
        raise ValidationError(_("k must be between 1 and {max}.").format(max=MAX_K), code="bad_k")
    _check_amenity(amenity)
    at = at or timezone.now()
    radius = min(START_RADIUS_M, max_radius_m)
    while True:
        ranked = _rank(
            _candidates(lat, lng, radius),
            lat=lat,
            lng=lng,
            radius_m=radius,
            amenity=amenity,
            open_now=open_now,
            at=at,
        )
        # Every station within `radius` is among the candidates, so k of them within it are the k nearest.
        if len(ranked) >= k or radius >= max_radius_m:
            return ranked[:k]
        radius = min(radius * 2, max_radius_m)


def within(
    *,
    lat: float,
    lng: float,
    radius_m: float,
    amenity: str | None = None,
    open_now: bool = False,
    at: datetime | None = None,
) -> list[Nearby]:
    """Every station in service within `radius_m` of the GCJ-02 point, nearest first."""
    lat, lng = geo.validate_point(lat, lng)
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValidationError(
            _("The radius must be between 1 and {max} metres.").format(max=int(MAX_RADIUS_M)),
            code="bad_radius",
        )
    _check_amenity(amenity)
    return _rank(
        _candidates(lat, lng, radius_m),
        lat=lat,
        lng=lng,
        radius_m=radius_m,
        amenity=amenity,
        open_now=open_now,
        at=at or timezone.now(),
    )


def stations_visible_to(*, user: Any, perm: str = StationsPerm.VIEW) -> ScopedQuerySet[Station]:
    """Stations in the user's jurisdiction (staff lists and detail)."""
    return Station.objects.visible_to(user, perm).select_related("division", "operator_unit")
