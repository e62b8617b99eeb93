"""The stations desk (shegong.stations.desk, /desk/stations/), station photos and the stations API.

Viewing needs `stations:station:view` over the station's division (leader, intake, handler, social worker,
platform admin); changing needs `stations:station:manage` (social worker, platform admin). A station
outside the grant is a 404, holding the permission nowhere a 403. Photos of a station that is not closed
down are public (riders see them on the H5 pages); a closed station's photos follow the desk's rules.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shegong.accounts.choices import Role
from shegong.divisions.models import Unit
from shegong.stations.choices import Status
from shegong.stations.models import Station, StationException, StationPhoto
from tests.security.matrix.registry import ANON, EVERYONE, Case, Fx, register

R = Role
VIEW = frozenset({R.PLATFORM_ADMIN, R.LEADER, R.INTAKE, R.HANDLER, R.SOCIAL_WORKER})
MANAGE = frozenset({R.PLATFORM_ADMIN, R.SOCIAL_WORKER})
_POINTS = {"in": (41.8201, 123.4201), "out": (22.8170, 108.3820)}  # 沈阳市皇姑区, 南宁市青秀区 (GCJ-02)
_ALL_DAY = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
WATCH = (Station, StationException, StationPhoto)


def _station(fx: Fx, side: str, marker: str, status: str = Status.OPEN) -> Station:
    lat, lng = _POINTS[side]
    station = Station(
        name=f"驿站{marker}",
        division=fx.division(side),
        address=f"测试路{marker}号",
        lat=lat,
        lng=lng,
        amenities=["water"],
        opening_hours=_ALL_DAY,
        contact_phone="13812345678",
        status=status,
    )
    station.full_clean()
    station.save()
    return station


def _jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "green").save(out, format="JPEG")
    return out.getvalue()


def _upload(obj: Any) -> dict[str, Any]:
    return {
        "photo": SimpleUploadedFile("door.jpg", _jpeg_bytes(), content_type="image/jpeg"),
        "caption": "正门",
    }


def _photo(fx: Fx, side: str, marker: str, status: str = Status.OPEN) -> StationPhoto:
    station = _station(fx, side, marker, status)
    content = _jpeg_bytes()
    photo = StationPhoto(
        station=station, content_type="image/jpeg", size=len(content), width=20, height=10, sha256="0" * 64
    )
    photo.file.save("photo.jpg", ContentFile(content), save=False)
    photo.save()
    return photo


def _closed_photo(fx: Fx, side: str, marker: str) -> StationPhoto:
    return _photo(fx, side, marker, Status.CLOSED)


def _exception(fx: Fx, side: str, marker: str) -> StationException:
    station = _station(fx, side, marker)
    return StationException.objects.create(
        station=station, date=dt.date(2027, 2, 6), closed=True, note="春节"
    )


def _unit(fx: Fx, side: str, marker: str) -> Unit:
    return Unit.all_objects.create(name=f"单位{marker}", unit_type="other", division=fx.division(side))


def _form(obj: Station) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "矩阵新驿站",
        "kind": "love_station",
        "division": obj.division_id,
        "operator_unit": "",
        "address": "测试路1号",
        "lat": "41.8201",
        "lng": "123.4201",
        "coords": "gcj02",
        "amenities": ["water"],
        "contact_phone": "",
        "status": "open",
    }
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        data[f"hours-{day}-mode"] = "24h"
    return data


def _page(obj: Station, rest: str = "") -> str:
    return f"/desk/stations/{obj.pk}/{rest}"


register(
    # --- list, usage, forms ---
    Case("stations:desk_list", _station, lambda obj: "/desk/stations/", ok=VIEW, listing=True, label="all"),
    Case(
        "stations:desk_list",
        _station,
        lambda obj: "/desk/stations/?q=驿站&sort=-visits&open_now=on",
        ok=VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "stations:desk_list",
        _station,
        lambda obj: f"/desk/stations/?division={obj.division_id}",
        ok=VIEW,
        label="division filter",
        note="a division outside the grant is a 404, like the appeals queues",
    ),
    Case("stations:desk_usage", _station, lambda obj: "/desk/stations/usage/", ok=VIEW, listing=True),
    Case(
        "stations:desk_usage",
        _station,
        lambda obj: f"/desk/stations/usage/?division={obj.division_id}&period=week",
        ok=VIEW,
        label="division filter",
    ),
    Case("stations:desk_new", _station, lambda obj: "/desk/stations/new/", ok=MANAGE, listing=True),
    Case(
        "stations:desk_new",
        _station,
        lambda obj: "/desk/stations/new/",
        method="post",
        ok=MANAGE,
        status=302,
        out_status=400,  # a division outside the manager's area is a form error, nothing is written
        payload=_form,
        watch=WATCH,
    ),
    Case(
        "stations:desk_unit_options",
        _unit,
        lambda obj: f"/desk/stations/unit-options/?division={obj.division_id}",
        ok=MANAGE,
        listing=True,
        note="units on the line of the chosen division, or of the manager's area when it is not theirs",
    ),
    # --- one station ---
    Case("stations:desk_station", _station, lambda obj: _page(obj), ok=VIEW),
    Case(
        "stations:desk_station",
        _station,
        lambda obj: _page(obj),
        method="post",
        ok=MANAGE,
        payload=lambda obj: {"reveal_field": "contact_phone", "reason": "联系驿站核实开放时间"},
        label="reveal phone",
    ),
    Case("stations:desk_edit", _station, lambda obj: _page(obj, "edit/"), ok=MANAGE),
    Case(
        "stations:desk_edit",
        _station,
        lambda obj: _page(obj, "edit/"),
        method="post",
        ok=MANAGE,
        status=302,
        payload=_form,
        watch=WATCH,
    ),
    Case("stations:desk_status", _station, lambda obj: _page(obj, "status/?status=suspended"), ok=MANAGE),
    Case(
        "stations:desk_status",
        _station,
        lambda obj: _page(obj, "status/"),
        method="post",
        ok=MANAGE,
        status=302,
        payload=lambda obj: {"status": "suspended"},
        watch=WATCH,
    ),
    Case("stations:desk_delete", _station, lambda obj: _page(obj, "delete/"), ok=MANAGE),
    Case(
        "stations:desk_delete",
        _station,
        lambda obj: _page(obj, "delete/"),
        method="post",
        ok=MANAGE,
        status=302,
        watch=WATCH,
    ),
    Case("stations:desk_qr_renew", _station, lambda obj: _page(obj, "qr/renew/"), ok=MANAGE),
    Case(
        "stations:desk_qr_renew",
        _station,
        lambda obj: _page(obj, "qr/renew/"),
        method="post",
        ok=MANAGE,
        status=302,
        watch=WATCH,
    ),
    Case("stations:desk_poster", _station, lambda obj: _page(obj, "poster/"), ok=VIEW),
    Case(
        "stations:desk_exception_add",
        _station,
        lambda obj: _page(obj, "exceptions/"),
        method="post",
        ok=MANAGE,
        status=302,
        payload=lambda obj: {"exc-date": "2027-02-06", "exc-mode": "closed", "exc-note": "春节"},
        watch=WATCH,
    ),
    Case(
        "stations:desk_exception_remove",
        _exception,
        lambda obj: f"/desk/stations/{obj.station_id}/exceptions/{obj.pk}/remove/",
        ok=MANAGE,
    ),
    Case(
        "stations:desk_exception_remove",
        _exception,
        lambda obj: f"/desk/stations/{obj.station_id}/exceptions/{obj.pk}/remove/",
        method="post",
        ok=MANAGE,
        status=302,
        watch=WATCH,
    ),
    Case(
        "stations:desk_photo_add",
        _station,
        lambda obj: _page(obj, "photos/"),
        method="post",
        ok=MANAGE,
        status=302,
        payload=_upload,
        watch=WATCH,
    ),
    Case(
        "stations:desk_photo_remove",
        _photo,
        lambda obj: f"/desk/stations/{obj.station_id}/photos/{obj.pk}/remove/",
        ok=MANAGE,
    ),
    Case(
        "stations:desk_photo_remove",
        _photo,
        lambda obj: f"/desk/stations/{obj.station_id}/photos/{obj.pk}/remove/",
        method="post",
        ok=MANAGE,
        status=302,
        watch=WATCH,
    ),
    # --- photo files ---
    Case(
        "stations:photo",
        _photo,
        lambda obj: f"/desk/stations/photos/{obj.pk}/",
        ok=EVERYONE,
        shows_out=True,
        public="the photo of any station not closed down (riders see it on the H5 station page)",
        label="open station",
    ),
    Case(
        "stations:photo",
        _closed_photo,
        lambda obj: f"/desk/stations/photos/{obj.pk}/",
        ok=VIEW,
        label="closed station",
        note="a closed station's photos are for staff who see the station; anonymous: the login page",
    ),
    # --- API ---
    Case("GET /api/v1/stations", _station, lambda obj: "/api/v1/stations", ok=VIEW, listing=True),
    Case(
        "GET /api/v1/stations",
        _station,
        lambda obj: f"/api/v1/stations?division={obj.division_id}&q=驿站&amenity=water",
        ok=VIEW,
        label="division filter",
    ),
    Case("GET /api/v1/stations/{station_id}", _station, lambda obj: f"/api/v1/stations/{obj.pk}", ok=VIEW),
    Case(
        "GET /api/v1/stations/nearest",
        _station,
        lambda obj: "/api/v1/stations/nearest?lat=41.82&lng=123.42&k=5",
        ok=EVERYONE,
        listing=True,
        public="the stations in service nearest the given point (the out station lies 2,000 km away)",
    ),
)

assert ANON in EVERYONE
