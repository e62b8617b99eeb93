"""Demo stations: a few dozen in each demo district, attached to the demo streets and communities.

Run after `shegong.divisions.demo.seed_demo_divisions()`. Every value (coordinates, amenities, hours,
phone) is derived from the station's name, so a second run finds everything as the first left it and
changes nothing. Coordinates are GCJ-02 around each district's centre.

`seed_demo_usage()` (called at the end) gives the demo stations riders' check-ins and feedback over the last
60 days, so the desk's usage page and the list's "visits" column show numbers; it writes them once (bulk,
visitor keys marked "demo-") and leaves them alone on later runs. Problem reports carry no appeal here: in
the running system each one opens an appeal (`stations.usage`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shegong.divisions.models import Division, Unit
from shegong.stations.choices import Amenity, FeedbackKind, Kind
from shegong.stations.hours import LOCAL_TZ
from shegong.stations.models import Station, StationFeedback, StationVisit

ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = ALL_WEEK[:5]


@dataclass(frozen=True)
class _District:
    code: str
    city: str
    lat: float
    lng: float
    shops: tuple[str, ...]  # partner shops that host a 暖新驿站


DISTRICTS = (
    _District("210105000000", "沈阳市皇姑区", 41.822, 123.418, ("便利蜂", "罗森", "中石油昆仑好客")),
    _District("450103000000", "南宁市青秀区", 22.817, 108.382, ("美宜佳", "红棉", "中石化易捷")),
    _District("150102000000", "呼和浩特市新城区", 40.850, 111.682, ("7-ELEVEN", "利客", "中石油昆仑好客")),
)

_BASE_AMENITIES: dict[str, list[str]] = {
    Kind.PARTY_SERVICE_CENTRE: [Amenity.WATER, Amenity.TOILET, Amenity.SEATING, Amenity.PHONE_CHARGING],
    Kind.LOVE_STATION: [Amenity.WATER, Amenity.MICROWAVE, Amenity.PHONE_CHARGING, Amenity.SEATING],
    Kind.UNION_HOME: [Amenity.WATER, Amenity.TOILET, Amenity.LEGAL_ADVICE, Amenity.SEATING],
    Kind.PARTNER_SHOP: [Amenity.WATER, Amenity.MICROWAVE, Amenity.PHONE_CHARGING],
}
_EXTRA_AMENITIES: list[str] = [
    Amenity.EBIKE_CHARGING,
    Amenity.SHELTER,
    Amenity.FIRST_AID,
    Amenity.RAIN_GEAR,
    Amenity.COUNSELLING,
    Amenity.TOILET,
]


def _hours(kind: str, rng: random.Random) -> dict[str, Any]:
    if kind == Kind.PARTY_SERVICE_CENTRE:
        table: dict[str, Any] = {d: [["08:30", "12:00"], ["13:00", "17:30"]] for d in WORKDAYS}
        table["sat"] = [["09:00", "12:00"]]
        return table
    if kind == Kind.UNION_HOME:
        return {d: [["09:00", "18:00"]] for d in WORKDAYS}
    if kind == Kind.PARTNER_SHOP or rng.random() < 0.4:
        return dict.fromkeys(ALL_WEEK, "24h")
    return {d: [["07:00", "21:30"]] for d in ALL_WEEK}


def _rng(name: str) -> random.Random:
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:16], 16)
    return random.Random(seed)  # noqa: S311 (demo data, not secrets)


def _spec(
    district: _District,
    name: str,
    kind: str,
    division: Division,
    unit: Unit | None,
    street_no: int,
    road: str,
) -> dict[str, Any]:
    rng = _rng(name)
    # streets lie around the district centre; each one's stations within ~1.2 km of its own centre
    angle_lat = ((street_no * 37) % 11 - 5) * 0.006
    angle_lng = ((street_no * 53) % 13 - 6) * 0.007
    extras = rng.sample(_EXTRA_AMENITIES, rng.randint(0, 3))
    amenities = sorted({str(a) for a in _BASE_AMENITIES[kind] + extras})
    return {
        "kind": kind,
        "operator_unit": unit,
        "address": f"{district.city}{road}{rng.randint(1, 299)}号",
        "lat": round(district.lat + angle_lat + rng.uniform(-0.011, 0.011), 6),
        "lng": round(district.lng + angle_lng + rng.uniform(-0.014, 0.014), 6),
        "amenities": amenities,
        "opening_hours": _hours(kind, rng),
        "contact_phone": f"139{rng.randint(0, 99_999_999):08d}",
        "is_demo": True,
    }


def _ensure(name: str, division: Division, values: dict[str, Any], tally: dict[str, int]) -> None:
    station = Station.all_objects.filter(division=division, name=name).first()
    if station is None:
        station = Station(name=name, division=division, **values)
        tally["created"] += 1
    elif all(getattr(station, k) == v for k, v in values.items()):
        tally["stations"] += 1
        return
    else:
        for key, value in values.items():
            setattr(station, key, value)
        tally["updated"] += 1
    station.full_clean()
    station.save()
    tally["stations"] += 1


def _unit(division: Division, name: str) -> Unit | None:
    return Unit.all_objects.filter(division=division, name=name).first()


@transaction.atomic
def seed_demo_stations() -> dict[str, int]:
    """Create (or correct) the demo stations; running it again changes nothing.

    Returns {"stations": …, "created": …, "updated": …}. Districts that are not seeded are skipped.
    """
    tally = {"stations": 0, "created": 0, "updated": 0}
    for district in DISTRICTS:
        county = Division.objects.filter(code=district.code).first()
        if county is None:
            continue
        union = _unit(county, f"{county.name}总工会")
        streets = Division.objects.filter(parent=county).order_by("code")
        for street_no, street in enumerate(streets, start=1):
            short = street.name.removesuffix("街道")
            road = short if short.endswith("路") else f"{short}路"  # 海东路街道 lies on 海东路
            office = _unit(street, f"{street.name}办事处")
            shop = district.shops[street_no % len(district.shops)]
            for name, kind, unit in (
                (f"{street.name}工会之家", Kind.UNION_HOME, union),
                (f"{shop}{short}店暖新驿站", Kind.PARTNER_SHOP, office),
            ):
                _ensure(name, street, _spec(district, name, kind, street, unit, street_no, road), tally)
            for community in Division.objects.filter(parent=street).order_by("code"):
                stem = community.name.removesuffix("社区")
                committee = _unit(community, f"{community.name}居民委员会")
                for name, kind in (
                    (f"{community.name}党群服务中心", Kind.PARTY_SERVICE_CENTRE),
                    (f"{stem}路爱心驿站", Kind.LOVE_STATION),
                ):
                    spec = _spec(district, name, kind, community, committee, street_no, f"{stem}路")
                    _ensure(name, community, spec, tally)
    seed_demo_usage()
    return tally


USAGE_DAYS = 60
DEMO_VISITOR = "demo-"
# Mean check-ins a day by kind: a 24-hour partner shop on a main road sees the most riders.
_DAILY_VISITS = {
    Kind.PARTNER_SHOP: 9.0,
    Kind.LOVE_STATION: 6.0,
    Kind.PARTY_SERVICE_CENTRE: 3.0,
    Kind.UNION_HOME: 2.0,
}
_PROBLEM_NOTES = {
    FeedbackKind.CLOSED_WHEN_OPEN: "中午去的时候门锁着，门口也没有贴告示。",
    FeedbackKind.NO_WATER: "饮水机没有水了，桶装水空着。",
    FeedbackKind.AMENITY_MISSING: "写着可以充电，但插座坏了。",
    FeedbackKind.WRONG_LOCATION: "地图上的位置在马路对面，找了半天。",
    FeedbackKind.UNFRIENDLY: "店员说只有买东西才能进来歇脚。",
    FeedbackKind.OTHER: "门口电动车太多，进不去。",
}


@transaction.atomic
def seed_demo_usage(*, now: datetime | None = None) -> dict[str, int]:
    """Check-ins and feedback for the demo stations over the last USAGE_DAYS days, written once.

    Returns {"visits": …, "feedback": …} written by this call (zero when demo usage already exists).
    """
    if StationVisit.objects.filter(station__is_demo=True, visitor__startswith=DEMO_VISITOR).exists():
        return {"visits": 0, "feedback": 0}
    today = timezone.localdate(now or timezone.now(), LOCAL_TZ)
    visit_rows: list[StationVisit] = []
    feedback_rows: list[StationFeedback] = []
    problems = FeedbackKind.problems()
    for station in Station.all_objects.filter(is_demo=True).order_by("pk").only("pk", "name", "kind"):
        rng = _rng(f"usage:{station.name}")
        mean = _DAILY_VISITS.get(station.kind, 3.0) * rng.uniform(0.4, 1.6)  # some stations are busier
        n = 0
        for back in range(USAGE_DAYS, 0, -1):
            day = today - timedelta(days=back - 1)
            weekend = day.weekday() >= 5
            count = max(0, round(rng.gauss(mean * (1.3 if weekend else 1.0), mean / 3)))
            for _i in range(count):
                n += 1
                at = datetime.combine(day, time(rng.randint(7, 21), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
                visitor = f"{DEMO_VISITOR}{station.pk}-{n}"
                visit_rows.append(StationVisit(station_id=station.pk, at=at, visitor=visitor))
                roll = rng.random()
                if roll < 0.12:
                    feedback_rows.append(
                        StationFeedback(
                            station_id=station.pk, kind=FeedbackKind.THUMBS_UP, at=at, visitor=visitor
                        )
                    )
                elif roll < 0.125:
                    kind = rng.choice(problems)
                    feedback_rows.append(
                        StationFeedback(
                            station_id=station.pk,
                            kind=kind,
                            note=_PROBLEM_NOTES[kind],
                            at=at,
                            visitor=visitor,
                        )
                    )
    StationVisit.objects.bulk_create(visit_rows, batch_size=2000)
    StationFeedback.objects.bulk_create(feedback_rows, batch_size=2000)
    return {"visits": len(visit_rows), "feedback": len(feedback_rows)}
