"""Station services: the manage permission over the station's division, audit rows in the same transaction,
validation, the delete refusal once riders used a station, dated exceptions and the check-in QR secret."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.stations import services
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import FeedbackKind, Status
from shegong.stations.models import Station, StationException
from tests.stations.desk_support import EVERY_DAY_24H, feedback, station, visits
from tests.support.world import World

pytestmark = pytest.mark.django_db


def fields(**extra: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "  华山路爱心驿站 ",
        "address": "沈阳市皇姑区华山路12号",
        "lat": 41.8201,
        "lng": 123.4201,
        "amenities": ["water"],
        "opening_hours": EVERY_DAY_24H,
        "contact_phone": "13812345678",
    }
    values.update(extra)
    return values


def audit_rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_create_needs_manage_over_the_division(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home_street)
    leader = world.user(Role.LEADER, world.home)
    with pytest.raises(PermissionDenied):
        services.station_create(actor=worker, division=world.home, **fields())  # above the worker's grant
    with pytest.raises(PermissionDenied):
        services.station_create(actor=leader, division=world.home_street, **fields())  # view only
    with pytest.raises(PermissionDenied):
        services.station_create(actor=worker, division=world.away_street, **fields())
    assert Station.all_objects.count() == 0
    assert audit_rows(StationsAction.CREATED) == []


def test_create_strips_the_name_and_audits_with_a_masked_phone(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    created = services.station_create(actor=worker, division=world.home_street, **fields())
    assert created.name == "华山路爱心驿站"
    (row,) = audit_rows(StationsAction.CREATED)
    assert row.actor == worker
    assert row.division_code == world.home_street.code
    assert row.changes["contact_phone"] == "138****5678"
    assert "13812345678" not in str(row.changes)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lat": float("nan")}, "lat"),
        ({"lat": 48.85, "lng": 2.35}, "lat"),
        ({"opening_hours": {"mon": [["20:00", "08:00"]]}}, "opening_hours"),
        ({"amenities": ["sauna"]}, "amenities"),
        ({"contact_phone": "12345"}, "contact_phone"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    world: World, extra: dict[str, object], field: str
) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    with pytest.raises(ValidationError) as info:
        services.station_create(actor=worker, division=world.home_street, **fields(**extra))
    assert field in info.value.message_dict
    assert Station.all_objects.count() == 0
    assert audit_rows(StationsAction.CREATED) == []


def test_operating_unit_must_be_on_the_station_line(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    ok = services.station_create(
        actor=worker, division=world.home_street, operator_unit=world.home_unit, **fields()
    )
    assert ok.operator_unit == world.home_unit  # the district's unit, above the street
    with pytest.raises(ValidationError) as info:
        services.station_create(
            actor=worker, division=world.home_street, operator_unit=world.away_unit, **fields(name="另一个")
        )
    assert "operator_unit" in info.value.message_dict


def test_duplicate_name_in_a_division_is_refused(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    services.station_create(actor=worker, division=world.home_street, **fields())
    with pytest.raises(ValidationError):
        services.station_create(actor=worker, division=world.home_street, **fields())
    assert Station.all_objects.count() == 1


def test_update_records_only_what_changed_and_status_alone_is_a_status_change(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    services.station_update(actor=worker, station=target, address="新地址1号", amenities=["water"])
    (row,) = audit_rows(StationsAction.UPDATED)
    assert set(row.changes) == {"address"}
    services.station_set_status(actor=worker, station=target, status=Status.SUSPENDED)
    (status_row,) = audit_rows(StationsAction.STATUS_CHANGED)
    assert status_row.changes == {"status": [Status.OPEN, Status.SUSPENDED]}
    with pytest.raises(ValidationError):
        services.station_set_status(actor=worker, station=target, status="demolished")


def test_update_out_of_the_managers_area_is_refused(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    away = station(world.away_street, lat=22.82, lng=108.38)
    with pytest.raises(PermissionDenied):
        services.station_update(actor=worker, station=away, address="x")
    mine = station(world.home_street)
    with pytest.raises(PermissionDenied):
        services.station_update(actor=worker, station=mine, division=world.away_street)
    mine.refresh_from_db()
    assert mine.division == world.home_street


def test_delete_refused_once_riders_used_the_station(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    used = station(world.home_street)
    visits(used, timezone.now())
    with translation.override("en"), pytest.raises(ValidationError) as info:
        services.station_delete(actor=worker, station=used)
    assert "closed" in info.value.messages[0]
    liked = station(world.home_street)
    feedback(liked, FeedbackKind.THUMBS_UP, timezone.now())
    with pytest.raises(ValidationError):
        services.station_delete(actor=worker, station=liked)
    assert Station.all_objects.filter(pk__in=[used.pk, liked.pk]).count() == 2
    assert audit_rows(StationsAction.DELETED) == []


def test_delete_unused_station_is_audited(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street, name="录错的驿站")
    leader = world.user(Role.LEADER, world.home)
    with pytest.raises(PermissionDenied):
        services.station_delete(actor=leader, station=target)
    services.station_delete(actor=worker, station=target)
    assert not Station.all_objects.filter(pk=target.pk).exists()
    (row,) = audit_rows(StationsAction.DELETED)
    assert row.changes["name"] == "录错的驿站"


def test_exception_set_replaces_the_days_entry_and_remove_deletes_it(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    day = dt.date(2027, 2, 6)
    services.exception_set(actor=worker, station=target, day=day, closed=True, note=" 春节 ")
    services.exception_set(
        actor=worker, station=target, day=day, closed=False, opening_hours=[["10:00", "16:00"]]
    )
    (exc,) = StationException.objects.filter(station=target)
    assert (exc.closed, exc.opening_hours, exc.note) == (False, [["10:00", "16:00"]], "")
    assert len(audit_rows(StationsAction.EXCEPTION_SET)) == 2
    with pytest.raises(ValidationError):
        services.exception_set(actor=worker, station=target, day=day, closed=False, opening_hours=[])
    services.exception_remove(actor=worker, exception=exc)
    assert not StationException.objects.filter(station=target).exists()
    (removed,) = audit_rows(StationsAction.EXCEPTION_REMOVED)
    assert removed.changes == {"date": "2027-02-06"}


def test_exception_needs_manage(world: World) -> None:
    leader = world.user(Role.LEADER, world.home)
    target = station(world.home_street)
    with pytest.raises(PermissionDenied):
        services.exception_set(actor=leader, station=target, day=dt.date(2027, 1, 1), closed=True)
    assert not StationException.objects.exists()


def test_checkin_code_renew_changes_the_secret_and_audits_without_it(world: World) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    old = target.checkin_token
    renewed = services.checkin_code_renew(actor=worker, station=target)
    assert renewed.checkin_token != old
    target.refresh_from_db()
    assert target.checkin_token == renewed.checkin_token
    (row,) = audit_rows(StationsAction.CHECKIN_CODE_RENEWED)
    assert old not in str(row.changes)
    assert renewed.checkin_token not in str(row.changes)
    with pytest.raises(PermissionDenied):
        services.checkin_code_renew(actor=world.user(Role.LEADER, world.home), station=target)
