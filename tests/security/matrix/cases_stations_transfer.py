"""Excel import/export of stations (shegong.stations.desk.transfer_views, /desk/stations/transfer/).

Import pages and the template need `stations:station:manage` somewhere (social workers, platform admins);
the export needs `stations:station:view` (every desk role but the auditor and security administrator) and a
division filter outside the grant is a 404. An upload lives in the uploader's session: any other session
(every matrix call) gets 404 for its preview, import and error-report URLs — the flow itself, with
out-of-scope rows refused row by row, is tested in tests/stations/test_import.py.
"""

from __future__ import annotations

from shegong.accounts.choices import Role
from shegong.stations.models import Station
from tests.security.matrix.registry import Case, Fx, register

_POINTS = {"in": (41.8201, 123.4201), "out": (22.8170, 108.3820)}  # 沈阳市皇姑区, 南宁市青秀区 (GCJ-02)
MANAGERS = {Role.SOCIAL_WORKER, Role.PLATFORM_ADMIN}
VIEWERS = {Role.LEADER, Role.INTAKE, Role.HANDLER, Role.SOCIAL_WORKER, Role.PLATFORM_ADMIN}
TOKEN = "A" * 32  # well-formed, never issued to the caller's session


def _station(fx: Fx, side: str, marker: str) -> Station:
    lat, lng = _POINTS[side]
    station = Station(
        name=f"驿站{marker}",
        division=fx.division(side),
        address=f"测试路{marker}号",
        lat=lat,
        lng=lng,
        amenities=["water"],
        opening_hours={"mon": "24h"},
        contact_phone="13812345678",
    )
    station.full_clean()
    station.save()
    return station


register(
    Case(
        "stations:transfer",
        build=_station,
        url=lambda obj: "/desk/stations/transfer/",
        ok=MANAGERS,
        listing=True,
    ),
    Case(
        "stations:transfer",
        build=_station,
        url=lambda obj: "/desk/stations/transfer/",
        method="post",
        ok=MANAGERS,
        status=400,  # no file: the form is shown again with its error; nothing is kept
        listing=True,
        watch=(Station,),
        note="the upload form without a file; uploads themselves are tested in tests/stations/test_import.py",
    ),
    Case(
        "stations:transfer_template",
        build=_station,
        url=lambda obj: "/desk/stations/transfer/template/",
        ok=MANAGERS,
        listing=True,
    ),
    Case(
        "stations:transfer_export",
        build=_station,
        url=lambda obj: f"/desk/stations/transfer/export/?division={obj.division_id}",
        ok=VIEWERS,
        note="the stations of one division as .xlsx (audited); a division outside the grant is a 404",
    ),
    Case(
        "stations:transfer_preview",
        build=_station,
        url=lambda obj: f"/desk/stations/transfer/preview/{TOKEN}/",
        ok=MANAGERS,
        status=404,
        listing=True,
        note="an upload of another session is not found",
    ),
    Case(
        "stations:transfer_import",
        build=_station,
        url=lambda obj: f"/desk/stations/transfer/preview/{TOKEN}/import/",
        method="post",
        ok=MANAGERS,
        status=404,
        listing=True,
        payload=lambda obj: {"only_valid": "on"},
        watch=(Station,),
        note="an upload of another session is not found; nothing is imported",
    ),
    Case(
        "stations:transfer_errors",
        build=_station,
        url=lambda obj: f"/desk/stations/transfer/preview/{TOKEN}/errors/",
        ok=MANAGERS,
        status=404,
        listing=True,
        note="an upload of another session is not found",
    ),
)
