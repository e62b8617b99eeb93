"""附近驿站: the nearest stations to the rider's phone, or the stations of a chosen street.

The page is server-rendered from its query string: `?lat=&lng=&coords=wgs84` (what the browser's
Geolocation API reports; `coords=gcj02` for a point read off a Chinese map), `amenity=water` to keep
stations offering it, `all=1` to include stations closed at this hour, and `district=&street=` for the
street list. `stations-h5.js` only asks the browser for its position and reloads the page with it; when
the position is refused or unavailable, the rider picks a district and a street instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shegong.appeals.h5 import places
from shegong.core import ratelimit
from shegong.core.middleware import client_ip
from shegong.divisions.choices import Level
from shegong.stations import geo, selectors
from shegong.stations.api import NEAREST_LIMIT
from shegong.stations.choices import Amenity, Direction, Kind
from shegong.stations.h5 import lookup, present

RESULTS = 10
# The picker's first two levels: a street is as precise as a rider without a position needs.
PICKER_LEVELS = ("district", "street")


def _query(params: QueryDict, **changes: str | None) -> str:
    """The page's query string with some parameters changed (None removes one)."""
    keep = ("lat", "lng", "coords", "amenity", "all", "district", "street")
    values = {k: params.get(k, "") for k in keep}
    values.update({k: v or "" for k, v in changes.items()})
    return "?" + urlencode({k: v for k, v in values.items() if v})


def _point(params: QueryDict) -> tuple[float, float]:
    """The GCJ-02 search point from lat/lng (WGS-84 unless coords=gcj02); ValidationError with a message
    for the rider otherwise."""
    coords = params.get("coords", "wgs84")
    if coords not in {"wgs84", "gcj02"}:
        raise ValidationError(_("Unknown coordinate system “{coords}”.").format(coords=coords[:20]))
    lat, lng = params.get("lat", ""), params.get("lng", "")
    if coords == "wgs84":
        return selectors.from_browser(lat=lat, lng=lng)
    return geo.validate_point(lat, lng)


def _nearby_rows(found: list[selectors.Nearby]) -> list[dict[str, Any]]:
    return [
        {
            "station": n.station,
            "kind": Kind(n.station.kind).label,
            "distance": present.distance_text(n.distance_m),
            "distance_m": round(n.distance_m),
            "direction": Direction(n.direction).label,
            "hint": present.walk_hint(n.direction, n.distance_m),
            "open_now": n.open_now,
            "amenities": present.amenities(n.station.amenities),
            "nav": present.nav_links(n.station),
        }
        for n in found
    ]


def _street_rows(listed: list[lookup.Listed]) -> list[dict[str, Any]]:
    return [
        {
            "station": item.station,
            "kind": Kind(item.station.kind).label,
            "open_now": item.open_now,
            "amenities": present.amenities(item.station.amenities),
            "nav": present.nav_links(item.station),
        }
        for item in listed
    ]


def _picker(params: QueryDict) -> places.Picker:
    picker = places.build({name: params.get(name, "") for name in PICKER_LEVELS})
    picker.selects = picker.selects[: len(PICKER_LEVELS)]
    return picker


@never_cache
@require_GET
def nearby(request: HttpRequest) -> HttpResponse:
    params = request.GET
    errors: list[str] = []
    amenity = params.get("amenity") or None
    if amenity is not None and amenity not in Amenity.values:
        errors.append(_("Unknown service “{code}”; showing every station.").format(code=amenity[:30]))
        amenity = None
    include_closed = params.get("all") == "1"
    located = bool(params.get("lat") or params.get("lng"))
    rows: list[dict[str, Any]] | None = None
    status = 200
    if located:
        try:
            lat, lng = _point(params)
        except ValidationError as exc:
            errors.extend(exc.messages)
            status = 400
        else:
            # Shares the public API's budget: the page and /api/v1/stations/nearest are one search.
            limit = ratelimit.hit(
                f"stations-nearest:{client_ip(request) or 'unknown'}", limit=NEAREST_LIMIT, window=60
            )
            if limit.allowed:
                found = selectors.nearest(
                    lat=lat, lng=lng, k=RESULTS, amenity=amenity, open_now=not include_closed
                )
                rows = _nearby_rows(found)
            else:
                errors.append(
                    _("Too many searches; try again in {seconds} seconds.").format(
                        seconds=limit.retry_after_seconds
                    )
                )
                status = 429
    picker = _picker(params)
    street = picker.chosen if picker.chosen is not None and picker.chosen.level == Level.STREET else None
    street_rows = None
    if street is not None:
        street_rows = _street_rows(lookup.stations_of_street(street=street, amenity=amenity))
    if rows is not None:
        mode = "nearby"
    elif street is not None:
        mode = "street"
    elif status != 200 or picker.chosen is not None:
        mode = "choose"
    else:
        mode = "locate"  # nothing asked yet: the script asks the browser where it is
    filters = [
        {
            "code": a.code,
            "icon": a.icon,
            "label": a.label,
            "active": a.code == amenity,
            "url": _query(params, amenity=None if a.code == amenity else a.code),
        }
        for a in present.amenity_choices()
    ]
    context = {
        "mode": mode,
        "errors": errors,
        "rows": rows,
        "street": street,
        "street_rows": street_rows,
        "picker": picker,
        "amenity": amenity,
        "amenity_label": Amenity(amenity).label if amenity else "",
        "include_closed": include_closed,
        "filters": filters,
        "all_url": _query(params, amenity=None),
        "toggle_closed_url": _query(params, all=None if include_closed else "1"),
        "relocate_url": _query(params, lat=None, lng=None, coords=None, district=None, street=None),
        "amenity_param": amenity or "",
        "all_param": "1" if include_closed else "",
    }
    return render(request, "stations/h5/nearby.html", context, status=status)
