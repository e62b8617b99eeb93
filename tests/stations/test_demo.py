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


@pytest.mark.django_db
def test_demo_stations_have_visits_and_feedback_over_the_last_60_days_written_once() -> None:
    import datetime as dt

    from django.utils import timezone

    from shegong.stations.choices import FeedbackKind
    from shegong.stations.demo import USAGE_DAYS, seed_demo_usage
    from shegong.stations.hours import LOCAL_TZ
    from shegong.stations.models import StationFeedback, StationVisit

    seed_demo_divisions()
    seed_demo_stations()  # seeds the usage at its end
    visits, feedback = StationVisit.objects.count(), StationFeedback.objects.count()
    assert visits > 1000
    assert feedback > 50
    assert StationFeedback.objects.filter(kind=FeedbackKind.THUMBS_UP).count() > 0
    assert StationFeedback.objects.exclude(kind=FeedbackKind.THUMBS_UP).exclude(note="").count() > 0
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    oldest = StationVisit.objects.order_by("at").first()
    assert oldest is not None
    assert oldest.at.astimezone(LOCAL_TZ).date() >= today - dt.timedelta(days=USAGE_DAYS)
    # most stations have been used in the last 30 days, so the usage page and the list show numbers
    recent = StationVisit.objects.filter(at__gte=timezone.now() - dt.timedelta(days=30))
    assert recent.values("station").distinct().count() > 0.8 * Station.all_objects.count()
    assert seed_demo_usage() == {"visits": 0, "feedback": 0}
    seed_demo_stations()
    assert (StationVisit.objects.count(), StationFeedback.objects.count()) == (visits, feedback)
