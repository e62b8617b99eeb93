"""The rider's station pages (shegong.stations.h5, /h5/stations/): public, no login.

Stations are public points on a map, so every caller — anonymous, a verified worker, any staff role — gets
the same answer for any station in service wherever it is (`shows_out` for the pages of one station). The
street list shows only the chosen street's stations (the out station, in another province, never appears).
A problem report needs a phone verified in the session: without one the form answers 400 and files nothing.
"""

from __future__ import annotations

from shegong.appeals.models import Appeal
from shegong.stations.choices import FeedbackKind
from shegong.stations.models import Station, StationFeedback, StationVisit
from tests.security.matrix.registry import ANON, EVERYONE, WORKER, Case, Fx, register

_POINTS = {"in": (41.8201, 123.4201), "out": (22.8170, 108.3820)}  # 沈阳市皇姑区, 南宁市青秀区 (GCJ-02)
_ALL_DAY = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")


def _station(fx: Fx, side: str, marker: str) -> Station:
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
    )
    station.full_clean()
    station.save()
    return station


PUBLIC = "any station in service (name, address, hours, amenities, masked phone): stations are public points"
NOT_VERIFIED = 400  # the report form without a verified phone: "enter your phone and the code"

register(
    Case(
        "stations:h5_nearby",
        build=_station,
        url=lambda obj, fx: f"/h5/stations/?district={fx.world.home.code}&street={fx.world.home_street.code}",
        ok=EVERYONE,
        listing=True,
        public="the stations in service of the chosen street (the out station lies in another province)",
    ),
    Case(
        "stations:h5_station",
        build=_station,
        url=lambda obj: f"/h5/stations/{obj.pk}/",
        ok=EVERYONE,
        shows_out=True,
        public=PUBLIC,
    ),
    Case(
        "stations:h5_thumbs_up",
        build=_station,
        url=lambda obj: f"/h5/stations/{obj.pk}/thumbs-up/",
        method="post",
        ok=EVERYONE,
        status=302,
        shows_out=True,
        public="records an anonymous 👍 (one per browser, station and day) and redirects to the station",
        watch=(StationFeedback,),
    ),
    Case(
        "stations:h5_report",
        build=_station,
        url=lambda obj: f"/h5/stations/{obj.pk}/report/",
        method="post",
        ok={WORKER},
        status=302,
        shows_out=True,
        denied=NOT_VERIFIED,
        per_role={ANON: NOT_VERIFIED},
        payload=lambda obj: {"kind": FeedbackKind.NO_WATER, "worker_type": "other", "note": "没有水"},
        watch=(StationFeedback, Appeal),
        note="files an appeal with the session's verified phone; anyone else is asked for phone and code",
    ),
    Case(
        "stations:h5_checkin",
        build=_station,
        url=lambda obj: f"/h5/stations/checkin/{obj.checkin_token}/",
        ok=EVERYONE,
        shows_out=True,
        public="the station named by its QR code's secret, with a check-in button",
    ),
    Case(
        "stations:h5_checkin",
        build=_station,
        url=lambda obj: f"/h5/stations/checkin/{obj.checkin_token}/",
        method="post",
        ok=EVERYONE,
        shows_out=True,
        public="records an anonymous check-in (one per browser, station and hour)",
        watch=(StationVisit,),
    ),
)
