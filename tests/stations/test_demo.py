from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shegong.divisions.demo import seed_demo_divisions
from shegong.stations import selectors
from shegong.stations.demo import seed_demo_stations
from shegong.stations.models import Station


@pytest.mark.django_db
def test_demo_stations_are_seeded_once_around_each_district() -> None:
    seed_demo_divisions()
    first = seed_demo_stations()
    assert first["created"] == first["stations"] == Station.all_objects.count()
    second = seed_demo_stations()
    assert second == {"stations": first["stations"], "created": 0, "updated": 0}
    assert Station.all_objects.count() == first["stations"]
    for prefix in ("210105", "450103", "150102"):
        stations = list(Station.all_objects.filter(division__code__startswith=prefix))
        assert len(stations) >= 24
        assert all(s.is_demo and s.amenities and s.operator_unit_id for s in stations)
        lat0, lng0 = stations[0].lat, stations[0].lng
        assert all(abs(s.lat - lat0) < 0.1 and abs(s.lng - lng0) < 0.12 for s in stations)


@pytest.mark.django_db
def test_a_rider_in_huanggu_finds_an_open_station_with_water() -> None:
    seed_demo_divisions()
    seed_demo_stations()
    tuesday_noon = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    found = selectors.nearest(lat=41.82, lng=123.42, k=3, amenity="water", at=tuesday_noon)
    assert len(found) == 3
    assert all(n.station.division_id.startswith("210105") and n.distance_m < 5_000 for n in found)


@pytest.mark.django_db
def test_without_demo_divisions_nothing_is_seeded() -> None:
    assert seed_demo_stations() == {"stations": 0, "created": 0, "updated": 0}
