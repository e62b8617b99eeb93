import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from shegong.stations import geo, selectors
from shegong.stations.choices import Amenity, Direction, Status
from shegong.stations.models import Station, StationException

SH = ZoneInfo("Asia/Shanghai")
NOON_MON = datetime(2026, 11, 30, 12, 0, tzinfo=SH)
CENTRE = (41.82, 123.42)  # 沈阳市皇姑区


@pytest.fixture
def scattered(world) -> list[Station]:  # type: ignore[no-untyped-def]
    """300 stations within ~15 km of the centre, random amenities, a third closed at noon on Monday."""
    rng = random.Random(6)
    amenities = list(Amenity.values)
    rows = []
    for i in range(300):
        hours = {"mon": [["14:00", "20:00"]]} if i % 3 == 0 else {"mon": "24h"}
        rows.append(
            Station(
                name=f"驿站{i}",
                division=world.home,
                address="皇姑区",
                lat=CENTRE[0] + rng.uniform(-0.13, 0.13),
                lng=CENTRE[1] + rng.uniform(-0.18, 0.18),
                amenities=rng.sample(amenities, rng.randint(0, 4)),
                opening_hours=hours,
                status=Status.SUSPENDED if i % 50 == 7 else Status.OPEN,
            )
        )
    return Station.all_objects.bulk_create(rows)


def brute_force(stations, lat, lng, *, amenity=None, open_now=True, radius=selectors.MAX_RADIUS_M):  # type: ignore[no-untyped-def]
    out = []
    for s in stations:
        if s.status != Status.OPEN or (amenity and amenity not in s.amenities):
            continue
        if open_now and not s.is_open(NOON_MON, exceptions={}):
            continue
        d = geo.haversine_m(lat, lng, s.lat, s.lng)
        if d <= radius:
            out.append((d, s.pk))
    return [pk for _d, pk in sorted(out)]


@pytest.mark.parametrize("amenity", [None, Amenity.WATER, Amenity.MICROWAVE])
@pytest.mark.parametrize("open_now", [True, False])
def test_nearest_agrees_with_brute_force(scattered, amenity, open_now) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(60)
    for _ in range(25):
        lat, lng = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.25, 0.25)
        got = selectors.nearest(lat=lat, lng=lng, k=5, amenity=amenity, open_now=open_now, at=NOON_MON)
        assert [n.station.pk for n in got] == brute_force(
            scattered, lat, lng, amenity=amenity, open_now=open_now
        )[:5]
        assert [n.distance_m for n in got] == sorted(n.distance_m for n in got)


def test_within_agrees_with_brute_force(scattered) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(61)
    for _ in range(10):
        lat, lng = CENTRE[0] + rng.uniform(-0.1, 0.1), CENTRE[1] + rng.uniform(-0.1, 0.1)
        got = selectors.within(lat=lat, lng=lng, radius_m=3_000, amenity=Amenity.TOILET, at=NOON_MON)
        expected = brute_force(scattered, lat, lng, amenity=Amenity.TOILET, open_now=False, radius=3_000)
        assert [n.station.pk for n in got] == expected


def test_open_now_filter_and_flag(make_station) -> None:  # type: ignore[no-untyped-def]
    near_closed = make_station(lat=41.8201, lng=123.4201, opening_hours={"mon": [["14:00", "20:00"]]})
    far_open = make_station(lat=41.83, lng=123.42)
    assert [n.station for n in selectors.nearest(lat=41.82, lng=123.42, k=1, at=NOON_MON)] == [far_open]
    both = selectors.nearest(lat=41.82, lng=123.42, k=2, open_now=False, at=NOON_MON)
    assert [(n.station, n.open_now) for n in both] == [(near_closed, False), (far_open, True)]
    assert both[1].direction == Direction.NORTH
    assert both[1].distance_m == pytest.approx(1_112, abs=5)


def test_holiday_exception_takes_a_station_out_of_open_now(make_station) -> None:  # type: ignore[no-untyped-def]
    near = make_station(lat=41.8201, lng=123.4201)
    far = make_station(lat=41.83, lng=123.42)
    StationException.objects.create(station=near, date=date(2026, 11, 30), closed=True)
    assert [n.station for n in selectors.nearest(lat=41.82, lng=123.42, k=1, at=NOON_MON)] == [far]


def test_amenity_filter(make_station) -> None:  # type: ignore[no-untyped-def]
    make_station(lat=41.8201, lng=123.4201, amenities=["toilet"])
    with_water = make_station(lat=41.85, lng=123.42, amenities=["toilet", "water"])
    got = selectors.nearest(lat=41.82, lng=123.42, k=5, amenity="water", at=NOON_MON)
    assert [n.station for n in got] == [with_water]


def test_fewer_than_k_within_the_maximum_radius(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(lat=41.82, lng=123.42)
    make_station(lat=22.82, lng=108.38)  # Nanning: ~2,000 km away
    assert [n.station for n in selectors.nearest(lat=41.821, lng=123.421, k=5, at=NOON_MON)] == [s]


def test_browser_position_is_converted_to_gcj02(make_station) -> None:  # type: ignore[no-untyped-def]
    wgs = (41.82, 123.42)
    gcj = geo.wgs84_to_gcj02(*wgs)
    assert selectors.from_browser(lat=wgs[0], lng=wgs[1]) == gcj
    with pytest.raises(ValidationError):
        selectors.from_browser(lat="nan", lng=123.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lat": float("nan"), "lng": 123.42},
        {"lat": 41.82, "lng": 200.0},
        {"lat": 48.85, "lng": 2.35},
        {"lat": 41.82, "lng": 123.42, "k": 0},
        {"lat": 41.82, "lng": 123.42, "k": 51},
        {"lat": 41.82, "lng": 123.42, "amenity": "sauna"},
    ],
)
def test_bad_search_input_is_a_validation_error(db, kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        selectors.nearest(**kwargs)


@pytest.mark.parametrize("radius", [0, -5, 50_001, float("nan")])
def test_bad_radius(db, radius) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        selectors.within(lat=41.82, lng=123.42, radius_m=radius)


def test_staff_reads_are_scoped(world, make_station) -> None:  # type: ignore[no-untyped-def]
    from shegong.accounts.choices import Role

    home = make_station()
    make_station(division=world.away, lat=22.82, lng=108.38)
    user = world.user(Role.SOCIAL_WORKER, world.home)
    assert list(selectors.stations_visible_to(user=user)) == [home]
