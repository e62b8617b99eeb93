from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from shegong.stations.choices import Status
from shegong.stations.hours import validate_opening_hours
from shegong.stations.models import StationException, is_open

SH = ZoneInfo("Asia/Shanghai")
# 2026-11-30 is a Monday, 2026-12-01 a Tuesday.
MON = date(2026, 11, 30)


def at(day: int, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return (
        datetime(2026, 11, day, hh, mm, tzinfo=tz)
        if day <= 30
        else datetime(2026, 12, day - 30, hh, mm, tzinfo=tz)
    )


@pytest.mark.parametrize(
    "table",
    [
        {"mon": [["08:00", "20:00"]]},
        {"mon": [["08:00", "12:00"], ["14:00", "20:00"]], "sun": "24h"},
        {"fri": [["18:00", "24:00"]], "sat": [["00:00", "02:00"]]},
        {},
    ],
)
def test_good_tables_pass(table: dict[str, object]) -> None:
    validate_opening_hours(table)


@pytest.mark.parametrize(
    ("table", "code"),
    [
        ({"mon": [["8:00", "20:00"]]}, "bad_time"),
        ({"mon": [["08:00", "25:00"]]}, "bad_time"),
        ({"mon": [["08:60", "20:00"]]}, "bad_time"),
        ({"mon": [["20:00", "08:00"]]}, "start_after_end"),
        ({"mon": [["08:00", "08:00"]]}, "start_after_end"),
        ({"mon": [["24:00", "24:00"]]}, "start_after_end"),
        ({"mon": [["08:00", "12:00"], ["11:00", "14:00"]]}, "overlap"),
        ({"monday": [["08:00", "12:00"]]}, "bad_weekday"),
        ({"mon": "all day"}, "bad_day"),
        ({"mon": [["08:00"]]}, "bad_range"),
        (["mon"], "bad_table"),
    ],
)
def test_malformed_tables_are_refused(table: object, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_opening_hours(table)
    assert info.value.code == code


def test_malformed_hours_save_nothing(make_station) -> None:  # type: ignore[no-untyped-def]
    from shegong.stations.models import Station

    with pytest.raises(ValidationError) as info:
        make_station(opening_hours={"mon": [["20:00", "08:00"]]})
    assert "opening_hours" in info.value.message_dict
    assert not Station.all_objects.exists()


def test_open_within_range_and_closed_outside(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(opening_hours={"mon": [["08:00", "12:00"], ["14:00", "20:00"]]})
    assert is_open(s, at(30, 8, 0))
    assert is_open(s, at(30, 11, 59))
    assert not is_open(s, at(30, 12, 0))  # half-open: closes at 12:00
    assert not is_open(s, at(30, 13, 0))
    assert not is_open(s, at(30, 7, 59))
    assert not is_open(s, at(31, 9, 0))  # Tuesday: not in the table


def test_open_now_is_computed_in_shanghai_time(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(opening_hours={"mon": [["08:00", "09:00"]]})
    # 00:30 UTC on Monday is 08:30 in Shanghai
    assert is_open(s, datetime(2026, 11, 30, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert not is_open(s, datetime(2026, 11, 30, 8, 30, tzinfo=ZoneInfo("UTC")))


def test_a_night_across_midnight(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(opening_hours={"mon": [["18:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert is_open(s, at(30, 23, 59))
    assert is_open(s, at(31, 0, 0))
    assert is_open(s, at(31, 1, 59))
    assert not is_open(s, at(31, 2, 0))
    assert not is_open(s, at(30, 17, 59))


def test_holiday_exception_closes_a_24h_station_that_day_only(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station()
    exc = StationException(station=s, date=MON, closed=True, note="元旦")
    exc.full_clean()
    exc.save()
    assert not is_open(s, at(30, 12))
    assert is_open(s, at(31, 12))


def test_special_hours_replace_the_weekday(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(opening_hours={"mon": [["08:00", "20:00"]]})
    StationException.objects.create(station=s, date=MON, opening_hours=[["10:00", "12:00"]])
    assert not is_open(s, at(30, 9))
    assert is_open(s, at(30, 11))
    assert not is_open(s, at(30, 15))


def test_an_exception_needs_hours_or_closed(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station()
    for bad in ([], [["12:00", "10:00"]]):
        with pytest.raises(ValidationError) as info:
            StationException(station=s, date=MON, opening_hours=bad).full_clean()
        assert "opening_hours" in info.value.message_dict


def test_a_suspended_station_is_never_open(make_station) -> None:  # type: ignore[no-untyped-def]
    s = make_station(status=Status.SUSPENDED)
    assert not is_open(s, at(30, 12))


def test_unknown_amenity_and_bad_point_save_nothing(make_station) -> None:  # type: ignore[no-untyped-def]
    from shegong.stations.models import Station

    with pytest.raises(ValidationError) as info:
        make_station(amenities=["water", "sauna"])
    assert "amenities" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        make_station(lat=float("nan"))
    assert "lat" in info.value.message_dict
    with pytest.raises(ValidationError):
        make_station(lat=51.5, lng=-0.12)
    assert not Station.all_objects.exists()


def test_contact_phone_is_encrypted_and_masked(make_station) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    s = make_station(contact_phone="13812345678")
    assert s.masked_phone == "138****5678"
    with connection.cursor() as cur:
        cur.execute("SELECT contact_phone FROM stations_station WHERE id = %s", [s.pk])
        assert "13812345678" not in cur.fetchone()[0]
