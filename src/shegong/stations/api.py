"""JSON API: /api/v1/stations.

`GET /nearest` is public (no login: a rider's phone), rate-limited per IP; coordinates are GCJ-02 unless
`coords=wgs84` (a browser's Geolocation API), which is converted. `GET ""` and `GET /{id}` are the staff
list (filtered like the desk list, by `selectors.filter_stations`) and detail (with photo URLs), scoped to
the caller's jurisdiction: out of scope → 404, no station permission anywhere → 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shegong.core import ratelimit
from shegong.core.api import ApiError, ErrorOut, Page, paginate
from shegong.core.forms import prefix_in_scope
from shegong.core.middleware import client_ip
from shegong.core.scoping import get_visible_or_404, require_any_scope
from shegong.divisions import codes
from shegong.divisions.selectors import pad_code
from shegong.stations import selectors
from shegong.stations.choices import Amenity, Direction, Kind, StationsPerm, Status
from shegong.stations.models import Station

router = Router(tags=["stations"])

# A rider's app asks once on opening and perhaps on refresh; 60 a minute per IP leaves room for a
# shared NAT (a delivery station's Wi-Fi) while stopping a scraper from walking the whole map.
NEAREST_LIMIT = getattr(settings, "SHEGONG_STATIONS_NEAREST_PER_MINUTE", 60)


class Coords(StrEnum):
    GCJ02 = "gcj02"
    WGS84 = "wgs84"


class AmenityOut(Schema):
    code: str
    label: str


class StationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    division: str
    address: str
    lat: float = Field(description="GCJ-02 latitude")
    lng: float = Field(description="GCJ-02 longitude")
    amenities: list[AmenityOut]
    opening_hours: dict[str, Any]
    phone: str = Field(description="Contact phone, masked (138****1234)")

    @staticmethod
    def from_station(station: Station, *, phone: str = "") -> dict[str, Any]:
        return {
            "id": station.pk,
            "name": station.name,
            "kind": station.kind,
            "kind_label": str(Kind(station.kind).label),
            "status": station.status,
            "status_label": str(Status(station.status).label),
            "division": station.division_id,
            "address": station.address,
            "lat": station.lat,
            "lng": station.lng,
            "amenities": [
                {"code": code, "label": str(Amenity(code).label)}
                for code in station.amenities
                if code in Amenity.values
            ],
            "opening_hours": station.opening_hours,
            "phone": phone,
        }


class NearbyOut(StationOut):
    distance_m: int
    direction: str
    direction_label: str = Field(description="Compass point from the caller, e.g. 东北")
    open_now: bool


class NearestQuery(Schema):
    lat: float
    lng: float
    coords: Coords = Coords.GCJ02
    k: int = 5
    amenity: str | None = None
    open_now: bool = True


class PhotoOut(Schema):
    id: int
    url: str = Field(description="Served by the platform; public while the station is not closed down")
    caption: str
    width: int
    height: int
    content_type: str


class StationDetailOut(StationOut):
    operator_unit: str = Field(description="The operating unit's name, empty when none")
    photos: list[PhotoOut]


class StationFilters(Schema):
    page: int = 1
    page_size: int = 50
    q: str = Field("", max_length=100, description="Words of the name or the address")
    kind: Kind | None = None
    status: Status | None = None
    amenity: Amenity | None = None
    division: str = Field(
        "",
        max_length=12,
        description="A division code or prefix (2, 4, 6, 9 or 12 digits): that subtree only; "
        "outside your jurisdiction → 404",
    )


def _masked_phones(ids: list[int]) -> dict[int, str]:
    """The k results' phones, masked, in one query (the search itself never decrypts them)."""
    rows = Station.all_objects.filter(pk__in=ids).only("id", "contact_phone")
    return {s.pk: s.masked_phone for s in rows}


@router.get(
    "/nearest",
    auth=None,
    response={200: list[NearbyOut], 429: ErrorOut},
    summary="Nearest stations in service (public, no login)",
    description="For riders' phones: no login, at most SHEGONG_STATIONS_NEAREST_PER_MINUTE (60) calls a "
    "minute per IP (429 `rate_limited` with `retry_after_seconds`). `coords=wgs84` converts a browser's "
    "GPS position; bad coordinates, amenity or k → 422. Phones are masked.",
)
def nearest(request: HttpRequest, query: Query[NearestQuery]) -> list[dict[str, Any]]:
    limit = ratelimit.hit(
        f"stations-nearest:{client_ip(request) or 'unknown'}", limit=NEAREST_LIMIT, window=60
    )
    if not limit.allowed:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many searches; try again in {seconds} seconds.").format(seconds=limit.retry_after_seconds),
            {"retry_after_seconds": limit.retry_after_seconds},
        )
    lat, lng = query.lat, query.lng
    if query.coords == Coords.WGS84:
        lat, lng = selectors.from_browser(lat=lat, lng=lng)
    found = selectors.nearest(lat=lat, lng=lng, k=query.k, amenity=query.amenity, open_now=query.open_now)
    phones = _masked_phones([n.station.pk for n in found])
    return [
        {
            **StationOut.from_station(n.station, phone=phones.get(n.station.pk, "")),
            "distance_m": round(n.distance_m),
            "direction": n.direction,
            "direction_label": str(Direction(n.direction).label),
            "open_now": n.open_now,
        }
        for n in found
    ]


def _division_prefix(user: Any, text: str) -> str:
    """The subtree a list is narrowed to; malformed → 422, wholly outside the scope → 404 (as on the desk)."""
    text = text.strip()
    if not text:
        return ""
    padded = pad_code(text)
    if not padded:
        raise ApiError(
            422,
            "invalid_input",
            _("Type a division code or its prefix, e.g. 210105."),
            {"field": "division"},
        )
    prefix = padded[: codes.level_of(padded)]
    if not prefix_in_scope(prefix, require_any_scope(user, StationsPerm.VIEW)):
        raise Http404
    return prefix


@router.get(
    "",
    response=Page[StationOut],
    summary="Stations in your jurisdiction",
    description="Staff only (`stations:station:view`). Filters: `q` (name or address), `kind`, `status`, "
    "`amenity`, `division` (code prefix). Phones are masked. Ordered by division and name.",
)
def list_stations(request: HttpRequest, filters: Query[StationFilters]) -> dict[str, Any]:
    require_any_scope(request.user, StationsPerm.VIEW)
    prefix = _division_prefix(request.user, filters.division)
    stations = selectors.filter_stations(
        selectors.stations_visible_to(user=request.user),
        q=filters.q,
        kind=filters.kind.value if filters.kind else "",
        status=filters.status.value if filters.status else "",
        amenity=filters.amenity.value if filters.amenity else "",
        division_prefix=prefix,
    ).order_by("division_id", "name", "pk")
    page = paginate(stations, page=filters.page, page_size=filters.page_size)
    page["items"] = [StationOut.from_station(s, phone=s.masked_phone) for s in page["items"]]
    return page


@router.get(
    "/{station_id}",
    response=StationDetailOut,
    summary="One station",
    description="Staff only; a station outside your jurisdiction is a 404. Includes the operating unit and "
    "the photos' URLs (the phone stays masked: showing it in full is an audited action on the desk).",
)
def get_station(request: HttpRequest, station_id: int) -> dict[str, Any]:
    require_any_scope(request.user, StationsPerm.VIEW)  # no station permission anywhere: 403, not 404
    station = get_visible_or_404(Station, user=request.user, perm=StationsPerm.VIEW, pk=station_id)
    return {
        **StationOut.from_station(station, phone=station.masked_phone),
        "operator_unit": station.operator_unit.name if station.operator_unit_id else "",
        "photos": [
            {
                "id": photo.pk,
                "url": request.build_absolute_uri(reverse("stations:photo", args=[photo.pk])),
                "caption": photo.caption,
                "width": photo.width,
                "height": photo.height,
                "content_type": photo.content_type,
            }
            for photo in station.photos.all()
        ],
    }
