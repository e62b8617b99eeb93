"""Rules beside the main line: 退单 window, working-time deadlines, 延期, 重办, merge, withdraw,
supervision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shegong.appeals import services as s
from shegong.appeals.choices import ExtensionStatus, ReturnReason, Satisfaction, State, Urgency
from shegong.appeals.models import ExtensionRequest, ReturnRecord, Supervision
from shegong.appeals.selectors import appeal_timeline
from shegong.core.models import OutboxMessage
from tests.appeals.conftest import Actors

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


FRIDAY_1630 = at(2026, 3, 13, 16, 30)


# --- deadlines on working time -------------------------------------------------------------------------


def test_normal_dispatch_friday_afternoon_is_due_monday(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED)
    with time_machine.travel(FRIDAY_1630, tick=False):
        appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    # 1 working hour left on Friday (until 17:30), the second one on Monday from 09:00
    assert appeal.sign_due_at == at(2026, 3, 16, 10, 0)


def test_urgent_dispatch_counts_calendar_minutes(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED, urgency=Urgency.URGENT)
    with time_machine.travel(FRIDAY_1630, tick=False):
        appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    assert appeal.sign_due_at == at(2026, 3, 13, 17, 0)
    with time_machine.travel(at(2026, 3, 13, 16, 50), tick=False):
        appeal = s.appeal_sign_for(appeal=appeal, actor=actors.handler)
    assert appeal.contact_due_at == at(2026, 3, 13, 18, 50)  # 2 calendar hours
    assert appeal.handle_due_at == at(2026, 3, 16, 16, 50)  # 1 working day


def test_sign_for_starts_contact_and_handling_clocks(actors: Actors) -> None:
    appeal = actors.appeal_in(State.DISPATCHED)
    with time_machine.travel(at(2026, 3, 13, 10, 0), tick=False):
        appeal = s.appeal_sign_for(appeal=appeal, actor=actors.handler)
    assert appeal.contact_due_at == at(2026, 3, 16, 10, 0)  # 1 working day, over the weekend
    assert appeal.handle_due_at == at(2026, 3, 20, 10, 0)  # 5 working days


# --- 退单 ----------------------------------------------------------------------------------------------


def test_return_within_two_working_hours_goes_back_to_dispatch(actors: Actors) -> None:
    with time_machine.travel(at(2026, 3, 13, 9, 0), tick=False):  # the timeline is ordered by time
        appeal = actors.appeal_in(State.ACCEPTED)
    with time_machine.travel(FRIDAY_1630, tick=False):
        appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    # Monday 09:45 is 1 h 45 min of working time after Friday 16:30: still inside the window
    with time_machine.travel(at(2026, 3, 16, 9, 45), tick=False):
        appeal = s.appeal_return(
            appeal=appeal, actor=actors.handler, reason=ReturnReason.WRONG_PLACE, note="不在本区"
        )
    assert appeal.state == State.ACCEPTED
    assert appeal.unit is None
    record = ReturnRecord.objects.get(appeal=appeal)
    assert record.unit == actors.world.home_unit
    assert record.by == actors.handler
    # the worker sees that it was returned and by whom
    last = appeal_timeline(appeal=appeal, public_only=True)[-1]
    assert last.action == "return"
    assert actors.world.home_unit.name in last.note
    # 转派: the dispatcher sends it on again
    appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    assert appeal.state == State.DISPATCHED


def test_return_after_two_working_hours_is_refused(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED)
    with time_machine.travel(FRIDAY_1630, tick=False):
        appeal = s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)
    # Monday 10:01 is past Friday 16:30 + 2 working hours, though Saturday and Sunday lie between
    with (
        time_machine.travel(at(2026, 3, 16, 10, 1), tick=False),
        pytest.raises(s.AppealConflict),
    ):
        s.appeal_return(appeal=appeal, actor=actors.handler, reason=ReturnReason.WRONG_PLACE)
    appeal.refresh_from_db()
    assert appeal.state == State.DISPATCHED
    assert not ReturnRecord.objects.exists()


def test_return_after_sign_for_is_refused(actors: Actors) -> None:
    appeal = actors.appeal_in(State.IN_PROGRESS)
    with pytest.raises(s.AppealConflict):
        s.appeal_return(appeal=appeal, actor=actors.handler, reason=ReturnReason.OVERLAPPING_DUTIES)
    assert not ReturnRecord.objects.exists()


def test_return_needs_a_known_reason_and_a_note_for_other(actors: Actors) -> None:
    appeal = actors.appeal_in(State.DISPATCHED)
    with pytest.raises(ValidationError):
        s.appeal_return(appeal=appeal, actor=actors.handler, reason="bored")
    with pytest.raises(ValidationError):
        s.appeal_return(appeal=appeal, actor=actors.handler, reason=ReturnReason.OTHER)


# --- 延期 ----------------------------------------------------------------------------------------------


def test_extension_once_at_most_ten_days(actors: Actors) -> None:
    with time_machine.travel(at(2026, 3, 13, 10, 0), tick=False):
        appeal = actors.appeal_in(State.IN_PROGRESS)
    assert appeal.handle_due_at == at(2026, 3, 20, 10, 0)
    with pytest.raises(ValidationError):
        s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=11, reason="调查取证")
    with pytest.raises(ValidationError):
        s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=0, reason="调查取证")
    request = s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=3, reason="调查取证")
    with pytest.raises(s.AppealConflict):
        s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=2, reason="再延")
    assert ExtensionRequest.objects.count() == 1

    request = s.appeal_decide_extension(request=request, actor=actors.leader, approve=True)
    assert request.status == ExtensionStatus.APPROVED
    appeal.refresh_from_db()
    assert appeal.handle_due_at == at(2026, 3, 25, 10, 0)  # three more working days
    assert OutboxMessage.objects.get(template="appeals.extended").context["days"] == 3
    with pytest.raises(s.AppealConflict):
        s.appeal_decide_extension(request=request, actor=actors.leader, approve=False)


def test_refused_extension_keeps_the_deadline(actors: Actors) -> None:
    appeal = actors.appeal_in(State.IN_PROGRESS)
    due = appeal.handle_due_at
    request = s.appeal_request_extension(appeal=appeal, actor=actors.handler, days=5, reason="人手不足")
    s.appeal_decide_extension(request=request, actor=actors.leader, approve=False, note="理由不充分")
    appeal.refresh_from_db()
    assert appeal.handle_due_at == due
    assert not OutboxMessage.objects.filter(template="appeals.extended").exists()


# --- rating and 重办 ----------------------------------------------------------------------------------


def test_closed_and_resolved_are_separate(actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    with pytest.raises(s.AppealConflict):
        s.appeal_close_unrated(appeal=appeal)  # the worker can still rate
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        appeal = s.appeal_close_unrated(appeal=appeal)
    assert appeal.state == State.CLOSED
    assert appeal.resolved is None
    assert appeal.satisfaction == ""


def test_dissatisfied_goes_back_to_the_same_unit_then_to_the_supervisor(actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    appeal = s.appeal_rate(
        appeal=appeal, resolved=True, satisfaction=Satisfaction.DISSATISFIED, comment="没给钱"
    )
    assert appeal.state == State.IN_PROGRESS
    assert appeal.unit == actors.world.home_unit
    assert appeal.supervised is True
    assert appeal.redo_count == 1
    assert appeal.closed_at is None
    assert not Supervision.objects.exists()
    assert OutboxMessage.objects.filter(template="appeals.redo", recipient=f"unit:{appeal.unit_id}").exists()

    appeal = s.appeal_reply(appeal=appeal, actor=actors.handler, text="再次协调")
    appeal = s.appeal_rate(appeal=appeal, resolved=False, satisfaction=Satisfaction.BASICALLY_SATISFIED)
    assert appeal.state == State.IN_PROGRESS
    assert appeal.redo_count == 2
    supervision = Supervision.objects.get(appeal=appeal)
    assert supervision.level == actors.world.home_community.parent  # the level above
    assert supervision.deadline == appeal.handle_due_at

    appeal = s.appeal_reply(appeal=appeal, actor=actors.handler, text="已结清")
    appeal = s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.BASICALLY_SATISFIED)
    assert appeal.state == State.CLOSED
    assert appeal.resolved is True


def test_supervise_flags_and_records(actors: Actors) -> None:
    appeal = actors.appeal_in(State.IN_PROGRESS)
    supervision = s.appeal_supervise(appeal=appeal, actor=actors.leader, note="三日内办结")
    appeal.refresh_from_db()
    assert appeal.supervised is True
    assert supervision.by == actors.leader
    assert supervision.deadline is not None
    with pytest.raises(ValidationError):
        s.appeal_supervise(appeal=appeal, actor=actors.leader, note="  ")
    with pytest.raises(PermissionDenied):
        s.appeal_supervise(appeal=appeal, actor=actors.handler, note="自己督办自己")


def test_the_sla_sweep_supervises_as_the_system(actors: Actors) -> None:
    appeal = actors.appeal_in(State.DISPATCHED)
    supervision = s.appeal_supervise(appeal=appeal, actor=None, note="签收超时")
    assert supervision.by is None
    assert supervision.level == actors.world.home_street
    assert appeal_timeline(appeal=appeal)[-1].actor_label == "system"


# --- merge and withdraw ---------------------------------------------------------------------------------


def test_merge_points_the_worker_at_the_original(actors: Actors) -> None:
    original = actors.appeal_in(State.IN_PROGRESS)
    duplicate = actors.appeal_in(State.ACCEPTED)
    duplicate = s.appeal_merge(appeal=duplicate, into=original, actor=actors.intake)
    assert duplicate.state == State.MERGED
    assert duplicate.merged_into == original
    sms = OutboxMessage.objects.get(template="appeals.merged")
    assert sms.context == {"number": duplicate.tracking_no, "original": original.tracking_no}
    with pytest.raises(ValidationError):
        s.appeal_merge(appeal=original, into=original, actor=actors.intake)
    closed = actors.appeal_in(State.CLOSED)
    with pytest.raises(s.AppealConflict):
        s.appeal_merge(appeal=actors.appeal_in(State.SUBMITTED), into=closed, actor=actors.intake)


def test_withdraw_tells_the_unit(actors: Actors) -> None:
    appeal = actors.appeal_in(State.WITHDRAWN)
    assert appeal.state == State.WITHDRAWN
    assert appeal.closed_at is not None
    assert OutboxMessage.objects.filter(template="appeals.unit_withdrawn").count() == 1


def test_the_first_rating_is_kept_through_a_redo(actors: Actors) -> None:
    appeal = actors.appeal_in(State.REPLIED)
    appeal = s.appeal_rate(
        appeal=appeal, resolved=False, satisfaction=Satisfaction.DISSATISFIED, comment="没解决"
    )
    assert (appeal.state, appeal.first_resolved, appeal.first_satisfaction) == (
        State.IN_PROGRESS,
        False,
        Satisfaction.DISSATISFIED,
    )
    appeal = s.appeal_reply(appeal=appeal, actor=actors.handler, text="已再次协调，费用已结清。")
    appeal = s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)
    appeal.refresh_from_db()
    # the final verdict closes it; the first verdict stays for 解决率 / 满意率
    assert (appeal.state, appeal.resolved, appeal.satisfaction) == (
        State.CLOSED,
        True,
        Satisfaction.SATISFIED,
    )
    assert (appeal.first_resolved, appeal.first_satisfaction) == (False, Satisfaction.DISSATISFIED)
