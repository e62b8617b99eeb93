"""Coordinates: WGS-84 ↔ GCJ-02, great-circle distance, compass hints, and validation.

Chinese map services (AMap/高德, Tencent) and their URI schemes use GCJ-02, so stations are stored in it;
a browser's Geolocation API reports WGS-84, which `wgs84_to_gcj02` converts. The formulas are the public
"eviltransform" ones (Krasovsky 1940 ellipsoid); outside China's rough outline there is no offset.
The inverse has no closed form: it is solved by fixed-point iteration to well under a centimetre.
"""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shegong.stations.choices import Direction

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG); haversine's error is ≤ 0.5 %, far below GPS noise
_A = 6_378_245.0  # Krasovsky semi-major axis, as in GCJ-02
_EE = 0.00669342162296594323  # its eccentricity squared

# China's extreme points (曾母暗沙 … 漠河, 帕米尔 … 乌苏里江) — what a station or a rider may be at.
CHINA_LAT = (3.86, 53.56)
CHINA_LNG = (73.66, 135.05)


def _out_of_china(lat: float, lng: float) -> bool:
    # The rectangle eviltransform uses to decide whether the offset applies.
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lat: float, lng: float) -> tuple[float, float]:
    d_lat = _transform_lat(lng - 105.0, lat - 35.0)
    d_lng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """A browser's (WGS-84) position as Chinese maps draw it (GCJ-02)."""
    if _out_of_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _offset(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The inverse of `wgs84_to_gcj02`, iterated until it reproduces the input to ~1e-9° (0.1 mm)."""
    if _out_of_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        if abs(e_lat) < 1e-9 and abs(e_lng) < 1e-9:
            break
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
    return w_lat, w_lng


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lng2 - lng1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


_COMPASS = list(Direction)


def direction(lat1: float, lng1: float, lat2: float, lng2: float) -> Direction:
    """Which of the eight compass points (45° sectors centred on each) point 2 lies in, seen from point 1."""
    sector = int(((bearing_deg(lat1, lng1, lat2, lng2) + 22.5) % 360.0) // 45.0)
    return _COMPASS[sector]


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) containing every point within `radius_m` of (lat, lng)."""
    d_lat = math.degrees(radius_m / EARTH_RADIUS_M)
    # the widest longitude span is at the latitude farthest from the equator inside the box
    far_lat = min(89.0, abs(lat) + d_lat)
    d_lng = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(far_lat))))
    return lat - d_lat, lat + d_lat, lng - d_lng, lng + d_lng


def validate_point(lat: object, lng: object) -> tuple[float, float]:
    """(lat, lng) as floats if they are finite numbers inside China; otherwise a ValidationError."""
    try:
        flat, flng = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Latitude and longitude must be numbers."), code="not_a_number") from exc
    if not (math.isfinite(flat) and math.isfinite(flng)):
        raise ValidationError(_("Latitude and longitude must be finite numbers."), code="not_finite")
    if not (CHINA_LAT[0] <= flat <= CHINA_LAT[1] and CHINA_LNG[0] <= flng <= CHINA_LNG[1]):
        raise ValidationError(
            _(
                "The point ({lat}, {lng}) is outside China: latitude must lie between 3.86 and 53.56, "
                "longitude between 73.66 and 135.05."
            ).format(lat=round(flat, 6), lng=round(flng, 6)),
            code="outside_china",
        )
    return flat, flng
