"""Reads of stations.

Public search (`nearest`, `within`) is not scoped: stations are public points on a map. It runs on SQLite
and PostgreSQL without PostGIS: a bounding box on the indexed (lat, lng) columns, then exact haversine
distances and the amenity/open-now filters in Python on the few candidates. Candidates are read as
(id, lat, lng) only — the index holds them — and ranked by distance; only the nearest are then loaded
in full and filtered, a chunk at a time. `nearest` widens the box (doubling the radius) until k stations
within the radius pass the filters, so the answer is exact.
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

START_RADIUS_M = 500.0
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


def _ring(lat: float, lng: float, radius_m: float) -> list[tuple[float, int]]:
    """(distance, id) of every station within `radius_m`, nearest first.

    Reads only id, lat and lng, which the (lat, lng) index holds: an index-only range scan on SQLite.
    """
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, radius_m)
    rows = Station.all_objects.filter(
        lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng
    ).values_list("id", "lat", "lng")
    ring = []
    for pk, s_lat, s_lng in rows:
        distance = geo.haversine_m(lat, lng, s_lat, s_lng)
        if distance <= radius_m:
            ring.append((distance, pk))
    ring.sort()
    return ring


def _exceptions_on(ids: list[int], at: datetime) -> dict[int, dict[Any, Any]]:
    """Each station's exception for `at`'s local date, in one query."""
    day = at.astimezone(hours.LOCAL_TZ).date()
    found: dict[int, dict[Any, Any]] = defaultdict(dict)
    if ids:
        for row in StationException.objects.filter(station_id__in=ids, date=day):
            found[row.station_id][row.date] = row.day_hours
    return found


def _judge(
    ring: list[tuple[float, int]],
    *,
    lat: float,
    lng: float,
    amenity: str | None,
    open_now: bool,
    at: datetime,
) -> dict[int, Nearby | None]:
    """Load the ring's stations (two queries) and keep those in service that pass the filters."""
    ids = [pk for _d, pk in ring]
    distance = {pk: d for d, pk in ring}
    exceptions = _exceptions_on(ids, at)
    judged: dict[int, Nearby | None] = dict.fromkeys(ids)
    for station in Station.all_objects.filter(pk__in=ids, status=Status.OPEN).only(*_FIELDS):
        if amenity is not None and amenity not in station.amenities:
            continue
        serving = is_open(station, at, exceptions=exceptions.get(station.pk, {}))
        if open_now and not serving:
            continue
        judged[station.pk] = Nearby(
            station=station,
            distance_m=distance[station.pk],
            direction=geo.direction(lat, lng, station.lat, station.lng),
            open_now=serving,
        )
    return judged


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
    judged: dict[int, Nearby | None] = {}  # kept across widenings: each station is loaded once
    chunk = max(8 * k, 32)  # filters pass roughly one station in five; load a few rounds' worth at once
    radius = min(START_RADIUS_M, max_radius_m)
    while True:
        ring = _ring(lat, lng, radius)
        found: list[Nearby] = []
        for i, (_distance, pk) in enumerate(ring):
            if pk not in judged:
                todo = [item for item in ring[i:] if item[1] not in judged][:chunk]
                judged.update(_judge(todo, lat=lat, lng=lng, amenity=amenity, open_now=open_now, at=at))
            hit = judged[pk]
            if hit is not None:
                found.append(hit)
                if len(found) == k:
                    return found
        # Every station within `radius` has been judged: fewer than k pass, so look farther.
        if radius >= max_radius_m:
            return found
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
    ring = _ring(lat, lng, radius_m)
    judged = _judge(ring, lat=lat, lng=lng, amenity=amenity, open_now=open_now, at=at or timezone.now())
    return [hit for _d, pk in ring if (hit := judged[pk]) is not None]


def stations_visible_to(*, user: Any, perm: str = StationsPerm.VIEW) -> ScopedQuerySet[Station]:
    """Stations in the user's jurisdiction (staff lists and detail)."""
    return Station.objects.visible_to(user, perm).select_related("division", "operator_unit")
