"""Riders' use of stations (`stations.usage`): check-ins and feedback, the appeal a problem opens."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

from shegong.appeals.choices import AppealType, Channel, State, Urgency, WorkerType
from shegong.appeals.models import Appeal
from shegong.stations import usage
from shegong.stations.choices import FeedbackKind, Status
from shegong.stations.models import Station, StationFeedback, StationVisit
from tests.support.world import World

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
NOON = dt.datetime(2026, 6, 3, 12, 0, tzinfo=dt.UTC)  # 20:00 in Shanghai


def visitor(n: int = 1) -> str:
    return hashlib.sha256(f"visitor-{n}".encode()).hexdigest()


# --- visits ---------------------------------------------------------------------------------------------


def test_a_check_in_counts_once_an_hour_per_visitor(make_station: Callable[..., Station]) -> None:
    station = make_station()
    first = usage.visit_record(station=station, visitor=visitor(), now=NOON)
    again = usage.visit_record(station=station, visitor=visitor(), now=NOON + dt.timedelta(minutes=59))
    other = usage.visit_record(station=station, visitor=visitor(2), now=NOON + dt.timedelta(minutes=5))
    later = usage.visit_record(station=station, visitor=visitor(), now=NOON + dt.timedelta(minutes=61))
    assert first.created
    assert other.created
    assert later.created
    assert not again.created
    assert again.visit.pk == first.visit.pk
    assert StationVisit.objects.filter(station=station).count() == 3


def test_one_visitor_may_check_in_at_two_stations_in_the_same_hour(
    make_station: Callable[..., Station],
) -> None:
    a, b = make_station(), make_station()
    assert usage.visit_record(station=a, visitor=visitor(), now=NOON).created
    assert usage.visit_record(station=b, visitor=visitor(), now=NOON).created


@pytest.mark.parametrize("status", [Status.CLOSED, Status.SUSPENDED])
def test_a_station_out_of_service_refuses_check_ins(
    make_station: Callable[..., Station], status: str
) -> None:
    station = make_station(status=status)
    with pytest.raises(ValidationError):
        usage.visit_record(station=station, visitor=visitor())
    assert not StationVisit.objects.exists()


def test_the_visitor_key_is_a_keyed_hash_that_survives_a_new_session_key() -> None:
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore()
    key = usage.visitor_key(request)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert request.session.session_key is not None  # created on first use
    assert key != hashlib.sha256(request.session[usage.SESSION_KEY].encode()).hexdigest()  # keyed, not plain
    request.session.cycle_key()  # what confirming a phone does
    assert usage.visitor_key(request) == key
    other = RequestFactory().get("/")
    other.session = SessionStore()
    assert usage.visitor_key(other) != key


# --- thumbs up ------------------------------------------------------------------------------------------


def test_one_thumbs_up_per_visitor_station_and_local_day(make_station: Callable[..., Station]) -> None:
    station = make_station()
    # 20:00 and 23:30 Shanghai are one day; 00:30 the next is another
    first = usage.feedback_submit(station=station, kind=FeedbackKind.THUMBS_UP, visitor=visitor(), now=NOON)
    same_day = usage.feedback_submit(
        station=station,
        kind=FeedbackKind.THUMBS_UP,
        visitor=visitor(),
        now=NOON + dt.timedelta(hours=3, minutes=30),
    )
    next_day = usage.feedback_submit(
        station=station,
        kind=FeedbackKind.THUMBS_UP,
        visitor=visitor(),
        now=NOON + dt.timedelta(hours=4, minutes=30),
    )
    assert first.created
    assert not same_day.created
    assert next_day.created
    assert first.appeal is None
    assert StationFeedback.objects.filter(station=station, kind=FeedbackKind.THUMBS_UP).count() == 2
    assert not Appeal.all_objects.exists()


def test_a_bad_kind_is_a_clear_error_and_writes_nothing(make_station: Callable[..., Station]) -> None:
    station = make_station()
    with pytest.raises(ValidationError) as caught:
        usage.feedback_submit(station=station, kind="great", visitor=visitor(), phone=PHONE)
    assert "kind" in caught.value.message_dict
    assert "great" in caught.value.message_dict["kind"][0]
    assert not StationFeedback.objects.exists()
    assert not Appeal.all_objects.exists()


def test_a_problem_needs_a_phone(make_station: Callable[..., Station]) -> None:
    station = make_station()
    with pytest.raises(ValidationError) as caught:
        usage.feedback_submit(station=station, kind=FeedbackKind.NO_WATER, visitor=visitor())
    assert "phone" in caught.value.message_dict
    assert not StationFeedback.objects.exists()


def test_a_too_long_note_is_refused(make_station: Callable[..., Station]) -> None:
    station = make_station()
    with pytest.raises(ValidationError) as caught:
        usage.feedback_submit(
            station=station, kind=FeedbackKind.OTHER, note="水" * 301, visitor=visitor(), phone=PHONE
        )
    assert "note" in caught.value.message_dict
    assert not Appeal.all_objects.exists()


def test_feedback_about_a_closed_down_station_is_refused(make_station: Callable[..., Station]) -> None:
    station = make_station(status=Status.CLOSED)
    with pytest.raises(ValidationError):
        usage.feedback_submit(station=station, kind=FeedbackKind.THUMBS_UP, visitor=visitor())
    assert not StationFeedback.objects.exists()


# --- problem reports become appeals ---------------------------------------------------------------------


def test_a_problem_opens_a_rest_appeal_dispatched_to_the_operator(
    world: World, make_station: Callable[..., Station]
) -> None:
    station = make_station(
        name="华山路爱心驿站",
        address="沈阳市皇姑区华山路12号",
        division=world.home_street,
        operator_unit=world.home_unit,
    )
    result = usage.feedback_submit(
        station=station,
        kind=FeedbackKind.NO_WATER,
        note="  饮水机坏了，\n 没人修 ",
        visitor=visitor(),
        phone=PHONE,
        worker_type=WorkerType.FOOD_DELIVERY,
    )
    appeal = Appeal.all_objects.get()
    assert result.appeal == appeal
    assert result.feedback is not None
    assert result.feedback.appeal_id == appeal.pk
    assert result.feedback.note == "饮水机坏了， 没人修"
    assert appeal.category is not None
    assert appeal.category.code == "REST"
    assert appeal.appeal_type == AppealType.COMPLAINT
    assert appeal.urgency == Urgency.NORMAL
    assert appeal.channel == Channel.H5
    assert appeal.worker_type == WorkerType.FOOD_DELIVERY
    assert appeal.division == world.home_street
    assert appeal.phone == PHONE
    # accepted and dispatched by the platform itself: the operator is the responsible unit by construction
    assert appeal.state == State.DISPATCHED
    assert appeal.unit_id == world.home_unit.pk
    assert appeal.sign_due_at is not None
    assert list(appeal.events.values_list("action", flat=True).order_by("pk")) == [
        "submit",
        "accept",
        "dispatch",
    ]
    # the text names station, address, problem, note and operator, in the site's language (Chinese once
    # the catalogue has the msgid) whatever the rider's browser asked for
    assert "华山路爱心驿站" in appeal.text
    assert "华山路12号" in appeal.text
    assert "饮水机坏了" in appeal.text
    assert world.home_unit.name in appeal.text
    with translation.override(settings.LANGUAGE_CODE):
        label = str(FeedbackKind.NO_WATER.label)
    assert label in appeal.text
    with translation.override("en"):
        assert (
            usage.appeal_text(station=station, kind=FeedbackKind.NO_WATER, note="饮水机坏了， 没人修")
            == appeal.text
        )


def test_without_an_operator_the_appeal_waits_for_intake(make_station: Callable[..., Station]) -> None:
    station = make_station()
    usage.feedback_submit(station=station, kind=FeedbackKind.CLOSED_WHEN_OPEN, visitor=visitor(), phone=PHONE)
    assert Appeal.all_objects.get().state == State.SUBMITTED


def test_the_phone_is_never_stored_in_the_feedback_row(make_station: Callable[..., Station]) -> None:
    station = make_station()
    usage.feedback_submit(
        station=station, kind=FeedbackKind.UNFRIENDLY, note="态度差", visitor=visitor(), phone=PHONE
    )
    row: dict[str, Any] = StationFeedback.objects.values().get()
    assert all(PHONE not in str(value) and "5678" not in str(value) for value in row.values())


def test_nothing_is_half_written_when_the_appeal_step_fails(
    world: World, make_station: Callable[..., Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    station = make_station(operator_unit=world.home_unit)

    def broken(**kwargs: Any) -> Appeal:
        raise ValidationError("boom")

    monkeypatch.setattr(usage, "appeal_accept", broken)
    with pytest.raises(ValidationError):
        usage.feedback_submit(station=station, kind=FeedbackKind.NO_WATER, visitor=visitor(), phone=PHONE)
    assert not Appeal.all_objects.exists()
    assert not StationFeedback.objects.exists()


def test_feedback_is_rate_limited_per_visitor(
    make_station: Callable[..., Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(usage, "FEEDBACK_PER_VISITOR", 2)
    stations = [make_station() for _ in range(3)]
    now = timezone.now()
    for station in stations[:2]:
        usage.feedback_submit(station=station, kind=FeedbackKind.THUMBS_UP, visitor=visitor(), now=now)
    with pytest.raises(usage.FeedbackLimited):
        usage.feedback_submit(station=stations[2], kind=FeedbackKind.THUMBS_UP, visitor=visitor(), now=now)
    # another rider is not affected
    assert usage.feedback_submit(
        station=stations[2], kind=FeedbackKind.THUMBS_UP, visitor=visitor(2), now=now
    ).created
    assert StationFeedback.objects.count() == 3
