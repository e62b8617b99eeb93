"""The SLA sweep on frozen time: working time across weekends, a statutory holiday and its 调休 Saturday,
calendar time for urgent clocks, one step per stage however often it runs, and the command."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone, translation

from shegong.accounts.choices import Role
from shegong.appeals import notifications as tpl
from shegong.appeals import services as s
from shegong.appeals import sla
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Clock, SlaStage, State, Urgency
from shegong.appeals.models import Appeal, AppealEvent, SlaMark, Supervision
from shegong.core import periodic
from shegong.core.models import AuditEvent, OutboxMessage
from tests.appeals.conftest import Actors

TZ = timezone.get_default_timezone()


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def sweep_at(moment: dt.datetime) -> sla.SweepResult:
    with time_machine.travel(moment, tick=False):
        return sla.sweep()


def stages(appeal: Appeal, clock: str = Clock.SIGN_FOR) -> list[str]:
    return list(
        SlaMark.objects.filter(appeal=appeal, clock=clock)
        .order_by("at", "pk")
        .values_list("stage", flat=True)
    )


def dispatched_at(actors: Actors, moment: dt.datetime, **overrides: Any) -> Appeal:
    with time_machine.travel(moment - dt.timedelta(minutes=10), tick=False):
        appeal = actors.appeal_in(State.ACCEPTED, **overrides)
    with time_machine.travel(moment, tick=False):
        return s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=actors.world.home_unit)


def signed_at(actors: Actors, moment: dt.datetime, **overrides: Any) -> Appeal:
    appeal = dispatched_at(actors, moment - dt.timedelta(minutes=10), **overrides)
    with time_machine.travel(moment, tick=False):
        return s.appeal_sign_for(appeal=appeal, actor=actors.handler)


def unit_messages(template: str, actors: Actors) -> int:
    return OutboxMessage.objects.filter(
        template=template, recipient=f"unit:{actors.world.home_unit.pk}"
    ).count()


# --- working time: a weekend --------------------------------------------------------------------------


@pytest.mark.django_db
def test_friday_afternoon_dispatch_warns_and_escalates_on_working_days(actors: Actors) -> None:
    # Friday 16:30 + 2 working hours: 1 h on Friday, 1 h on Monday → due Monday 10:00
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    assert appeal.sign_due_at == at(2026, 3, 16, 10, 0)

    for moment in [
        at(2026, 3, 13, 17, 29),
        at(2026, 3, 14, 12, 0),
        at(2026, 3, 15, 23, 0),
        at(2026, 3, 16, 9, 35),
    ]:
        assert sweep_at(moment).total == 0, moment
    # 80 % of 2 working hours = 1 h 36 min: Friday's hour and Monday until 09:36
    assert sweep_at(at(2026, 3, 16, 9, 36)).warning == 1
    assert unit_messages(tpl.SLA_WARNING, actors) == 1
    assert sweep_at(at(2026, 3, 16, 9, 59)).total == 0
    assert sweep_at(at(2026, 3, 16, 10, 0)).reminder == 1
    assert unit_messages(tpl.SLA_REMINDER, actors) == 1
    # 催办 one working day after the deadline: Tuesday 10:00, not Monday evening
    assert sweep_at(at(2026, 3, 16, 17, 29)).total == 0
    assert sweep_at(at(2026, 3, 17, 9, 59)).total == 0
    assert sweep_at(at(2026, 3, 17, 10, 0)).urge == 1
    urge = OutboxMessage.objects.get(template=tpl.SLA_URGE)
    assert urge.recipient == str(actors.leader.pk)  # the leader over the unit's district
    assert urge.context["unit"] == actors.world.home_unit.name
    # 督办 two working days after the deadline, by the level above the unit (沈阳市 over 皇姑区)
    assert sweep_at(at(2026, 3, 18, 9, 59)).total == 0
    assert sweep_at(at(2026, 3, 18, 10, 0)).supervise == 1
    supervision = Supervision.objects.get(appeal=appeal)
    assert supervision.by is None
    assert supervision.level == actors.world.home.parent
    appeal.refresh_from_db()
    assert appeal.supervised is True
    assert stages(appeal) == [SlaStage.WARNING, SlaStage.REMINDER, SlaStage.URGE, SlaStage.SUPERVISE]
    assert sweep_at(at(2026, 3, 25, 10, 0)).total == 0  # nothing after 督办


@pytest.mark.django_db
def test_steps_are_internal_timeline_entries_by_the_system(actors: Actors) -> None:
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    sweep_at(at(2026, 3, 16, 10, 0))
    event = AppealEvent.objects.get(appeal=appeal, action="sla_reminder")
    assert event.public is False
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.at == at(2026, 3, 16, 10, 0)
    row = AuditEvent.objects.get(action=AppealsAction.SLA_REMINDED)
    assert row.target_id == str(appeal.pk)
    assert row.actor_label == "system"
    assert row.changes["clock"] == Clock.SIGN_FOR
    assert row.changes["due_at"] == at(2026, 3, 16, 10, 0).isoformat()


# --- a statutory holiday and its 调休 Saturday ---------------------------------------------------------


@pytest.mark.django_db
def test_national_day_holiday_pauses_and_the_working_saturday_counts(actors: Actors) -> None:
    # 2025: Tuesday 30 September is a working day, 1–8 October are 国庆/中秋, Saturday 11 October is 补班.
    appeal = dispatched_at(actors, at(2025, 9, 30, 16, 30))
    assert appeal.sign_due_at == at(2025, 10, 9, 10, 0)
    for day in range(1, 9):
        assert sweep_at(at(2025, 10, day, 12, 0)).total == 0, day
    assert sweep_at(at(2025, 10, 9, 9, 35)).total == 0
    assert sweep_at(at(2025, 10, 9, 9, 36)).warning == 1
    assert sweep_at(at(2025, 10, 9, 10, 0)).reminder == 1
    assert sweep_at(at(2025, 10, 10, 10, 0)).urge == 1
    # two working days after Thursday 10:00 is the 调休 Saturday, not Monday
    assert sweep_at(at(2025, 10, 11, 9, 59)).total == 0
    assert sweep_at(at(2025, 10, 11, 10, 0)).supervise == 1
    assert stages(appeal) == [SlaStage.WARNING, SlaStage.REMINDER, SlaStage.URGE, SlaStage.SUPERVISE]


@pytest.mark.django_db
def test_handling_clock_over_the_holiday(actors: Actors) -> None:
    appeal = signed_at(actors, at(2025, 9, 30, 10, 0))
    # 5 working days: 9, 10, 11 (Saturday 补班), 13, 14 October
    assert appeal.handle_due_at == at(2025, 10, 14, 10, 0)
    s.appeal_record_contact(appeal=appeal, actor=actors.handler, note="已电话联系")
    assert sweep_at(at(2025, 10, 7, 12, 0)).total == 0
    # 80 % of 5 working days is 4: counted from 30 September 10:00 over 9, 10, 11 October → 13 October 10:00
    assert sweep_at(at(2025, 10, 13, 9, 59)).total == 0
    result = sweep_at(at(2025, 10, 13, 10, 0))
    assert result.warning == 1
    assert result.steps[0].clock == Clock.HANDLE


# --- calendar time for urgent appeals -------------------------------------------------------------------


@pytest.mark.django_db
def test_urgent_calendar_clock_escalates_over_the_weekend(actors: Actors) -> None:
    saturday = at(2026, 3, 14, 10, 0)
    appeal = dispatched_at(actors, saturday, urgency=Urgency.URGENT)
    assert appeal.sign_due_at == at(2026, 3, 14, 10, 30)  # 30 calendar minutes
    assert sweep_at(at(2026, 3, 14, 10, 23)).total == 0
    assert sweep_at(at(2026, 3, 14, 10, 24)).warning == 1
    assert sweep_at(at(2026, 3, 14, 10, 30)).reminder == 1
    assert sweep_at(at(2026, 3, 14, 12, 29)).total == 0
    assert sweep_at(at(2026, 3, 14, 12, 30)).urge == 1  # 2 hours after the deadline
    assert sweep_at(at(2026, 3, 14, 14, 30)).supervise == 1  # 4 hours after it
    assert stages(appeal) == [SlaStage.WARNING, SlaStage.REMINDER, SlaStage.URGE, SlaStage.SUPERVISE]


@pytest.mark.django_db
def test_delays_follow_the_settings(actors: Actors, settings: Any) -> None:
    settings.SHEGONG_SLA_URGENT_URGE_AFTER_HOURS = 1
    settings.SHEGONG_SLA_URGENT_SUPERVISE_AFTER_HOURS = 3
    settings.SHEGONG_SLA_WARN_PERCENT = 50
    dispatched_at(actors, at(2026, 3, 14, 10, 0), urgency=Urgency.URGENT)
    assert sweep_at(at(2026, 3, 14, 10, 15)).warning == 1
    sweep_at(at(2026, 3, 14, 10, 30))
    assert sweep_at(at(2026, 3, 14, 11, 30)).urge == 1
    assert sweep_at(at(2026, 3, 14, 13, 29)).total == 0
    assert sweep_at(at(2026, 3, 14, 13, 30)).supervise == 1


@pytest.mark.django_db
def test_bad_delay_settings_are_refused(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.SHEGONG_SLA_URGE_AFTER_DAYS = 3
    settings.SHEGONG_SLA_SUPERVISE_AFTER_DAYS = 2
    with pytest.raises(ImproperlyConfigured):
        sla.sweep()


# --- idempotency and catching up -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sweep_run_twice_escalates_once(actors: Actors) -> None:
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    audit_for = {
        SlaStage.WARNING: AppealsAction.SLA_WARNED,
        SlaStage.REMINDER: AppealsAction.SLA_REMINDED,
        SlaStage.URGE: AppealsAction.SLA_URGED,
        SlaStage.SUPERVISE: AppealsAction.SUPERVISED,
    }
    moments = {
        SlaStage.WARNING: at(2026, 3, 16, 9, 40),
        SlaStage.REMINDER: at(2026, 3, 16, 10, 5),
        SlaStage.URGE: at(2026, 3, 17, 10, 5),
        SlaStage.SUPERVISE: at(2026, 3, 18, 10, 5),
    }
    for stage, moment in moments.items():
        messages_before = OutboxMessage.objects.count()
        assert getattr(sweep_at(moment), stage) == 1
        messages = OutboxMessage.objects.count() - messages_before
        assert messages == 1, stage
        again = sweep_at(moment + dt.timedelta(minutes=1))
        assert again.total == 0, stage
        assert SlaMark.objects.filter(appeal=appeal, stage=stage).count() == 1
        assert AuditEvent.objects.filter(action=audit_for[stage], target_id=str(appeal.pk)).count() == 1
        assert OutboxMessage.objects.count() - messages_before == messages
    assert Supervision.objects.filter(appeal=appeal).count() == 1


@pytest.mark.django_db
def test_an_appeal_found_late_gets_one_step_per_sweep_with_the_full_delay(actors: Actors) -> None:
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    # the worker was down until Thursday: urge and 督办 times have passed, but the unit has not even had
    # the reminder; it gets that now, and the full delay before the urging notice
    result = sweep_at(at(2026, 3, 19, 11, 0))
    assert (result.warning, result.reminder, result.urge, result.supervise) == (0, 1, 0, 0)
    assert sweep_at(at(2026, 3, 19, 11, 1)).total == 0
    assert sweep_at(at(2026, 3, 20, 10, 59)).total == 0
    assert sweep_at(at(2026, 3, 20, 11, 0)).urge == 1
    assert sweep_at(at(2026, 3, 23, 10, 59)).total == 0  # Friday + 1 working day = Monday
    assert sweep_at(at(2026, 3, 23, 11, 0)).supervise == 1
    assert stages(appeal) == [SlaStage.REMINDER, SlaStage.URGE, SlaStage.SUPERVISE]


@pytest.mark.django_db
def test_a_failing_appeal_writes_nothing_and_does_not_stop_the_others(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    fine = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    real = sla._Sweep.recipients

    def recipients(self: Any, appeal: Appeal, step: sla.Step) -> list[str]:
        if appeal.pk == broken.pk:
            raise RuntimeError("outbox down")
        return real(self, appeal, step)

    monkeypatch.setattr(sla._Sweep, "recipients", recipients)
    result = sweep_at(at(2026, 3, 16, 10, 0))
    assert (result.reminder, result.failed) == (1, 1)
    assert stages(fine) == [SlaStage.REMINDER]
    assert stages(broken) == []  # the mark rolled back with the rest of the step
    assert not AppealEvent.objects.filter(appeal=broken, action="sla_reminder").exists()

    monkeypatch.setattr(sla._Sweep, "recipients", real)
    assert sweep_at(at(2026, 3, 16, 10, 1)).reminder == 1  # the next sweep takes it
    assert stages(broken) == [SlaStage.REMINDER]


@pytest.mark.django_db
def test_extension_moves_the_deadline_and_starts_afresh(actors: Actors) -> None:
    appeal = signed_at(actors, at(2026, 3, 16, 10, 0))
    s.appeal_record_contact(appeal=appeal, actor=actors.handler)
    assert appeal.handle_due_at == at(2026, 3, 23, 10, 0)
    assert sweep_at(at(2026, 3, 23, 10, 0)).reminder == 1
    with time_machine.travel(at(2026, 3, 23, 11, 0), tick=False):
        request = s.appeal_request_extension(
            appeal=appeal, actor=actors.handler, days=3, reason="等待平台材料"
        )
        s.appeal_decide_extension(request=request, actor=actors.leader, approve=True)
    appeal.refresh_from_db()
    assert appeal.handle_due_at == at(2026, 3, 26, 10, 0)
    # no urging notice for the old deadline
    assert sweep_at(at(2026, 3, 24, 10, 0)).total == 0
    # 80 % of the new span (16 → 26 March, 8 working days) is 6.4 days: 24 March 13:24
    assert sweep_at(at(2026, 3, 24, 13, 24)).warning == 1
    assert sweep_at(at(2026, 3, 26, 10, 0)).reminder == 1
    marks = SlaMark.objects.filter(appeal=appeal, clock=Clock.HANDLE)
    assert sorted(marks.values_list("stage", "due_at")) == [
        (SlaStage.REMINDER, at(2026, 3, 23, 10, 0)),
        (SlaStage.REMINDER, at(2026, 3, 26, 10, 0)),
        (SlaStage.WARNING, at(2026, 3, 26, 10, 0)),
    ]


@pytest.mark.django_db
def test_first_contact_clock_stops_when_the_worker_is_contacted(actors: Actors) -> None:
    appeal = signed_at(actors, at(2026, 3, 16, 10, 0))
    assert appeal.contact_due_at == at(2026, 3, 17, 10, 0)
    result = sweep_at(at(2026, 3, 17, 10, 0))
    assert [(step.clock, step.stage) for step in result.steps] == [(Clock.FIRST_CONTACT, SlaStage.REMINDER)]
    with time_machine.travel(at(2026, 3, 17, 11, 0), tick=False):
        s.appeal_record_contact(appeal=appeal, actor=actors.handler, note="已联系")
    assert sweep_at(at(2026, 3, 18, 10, 0)).total == 0  # no urging notice: the clock stopped


@pytest.mark.django_db
def test_closed_and_withdrawn_appeals_are_never_touched(actors: Actors) -> None:
    with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False):
        closed = actors.appeal_in(State.CLOSED)
        withdrawn = actors.appeal_in(State.WITHDRAWN)
        rejected = actors.appeal_in(State.REJECTED)
    assert withdrawn.handle_due_at is not None
    assert closed.revisit_due_at is not None
    for moment in [at(2026, 3, 17, 10, 0), at(2026, 3, 25, 10, 0), at(2026, 4, 30, 10, 0)]:
        assert sweep_at(moment).total == 0
    assert not SlaMark.objects.exists()
    assert not Supervision.objects.exists()
    assert not OutboxMessage.objects.filter(template__startswith="appeals.sla_").exists()
    for appeal in (closed, withdrawn, rejected):
        before = appeal.version
        appeal.refresh_from_db()
        assert appeal.version == before


# --- who is told ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_urge_goes_to_the_units_own_leader_else_to_the_unit(actors: Actors) -> None:
    world = actors.world
    own = world.user(Role.LEADER, world.home, unit=world.home_unit)
    world.user(Role.LEADER, world.away)  # elsewhere: never told
    first = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    sweep_at(at(2026, 3, 16, 10, 0))
    sweep_at(at(2026, 3, 17, 10, 0))
    urges = OutboxMessage.objects.filter(template=tpl.SLA_URGE)
    assert list(urges.values_list("recipient", flat=True)) == [str(own.pk)]

    # without any leader over the unit, the unit's own channel gets the urging notice
    for user in (own, actors.leader):
        user.is_active = False
        user.save(update_fields=["is_active"])
    second = dispatched_at(actors, at(2026, 3, 20, 16, 30))
    sweep_at(at(2026, 3, 23, 10, 0))
    sweep_at(at(2026, 3, 24, 10, 0))
    assert urges.count() == 2
    assert urges.exclude(recipient=str(own.pk)).get().recipient == f"unit:{world.home_unit.pk}"
    assert stages(first)[:2] == stages(second) == [SlaStage.REMINDER, SlaStage.URGE]


@pytest.mark.django_db
def test_revisit_clock_reminds_intake_and_a_week_unrated_closes(actors: Actors) -> None:
    with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False):
        appeal = actors.appeal_in(State.REPLIED)
    assert appeal.revisit_due_at == at(2026, 3, 19, 10, 0)
    # 80 % of 3 working days is 2.4: Wednesday 10:00 + 0.4 × 8.5 h = 13:24
    assert sweep_at(at(2026, 3, 18, 13, 24)).warning == 1
    assert sweep_at(at(2026, 3, 19, 10, 0)).reminder == 1
    reminder = OutboxMessage.objects.get(template=tpl.SLA_REMINDER)
    assert reminder.recipient == str(actors.intake.pk)
    assert sweep_at(at(2026, 3, 20, 10, 0)).total == 0  # intake's clock is not escalated further
    assert sweep_at(at(2026, 3, 23, 9, 59)).total == 0
    result = sweep_at(at(2026, 3, 23, 10, 0))  # 7 calendar days after the reply
    assert result.closed == 1
    appeal.refresh_from_db()
    assert appeal.state == State.CLOSED
    assert appeal.resolved is None
    assert (
        AuditEvent.objects.filter(action=AppealsAction.CLOSED_UNRATED, target_id=str(appeal.pk)).count() == 1
    )
    assert sweep_at(at(2026, 3, 23, 10, 1)).total == 0


@pytest.mark.django_db
def test_planning_queries_do_not_grow_with_the_number_of_appeals(actors: Actors) -> None:
    from django.test.utils import CaptureQueriesContext

    def planning_queries() -> tuple[int, int]:
        with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False), CaptureQueriesContext(connection) as q:
            result = sla.sweep(dry_run=True)
        return len(q.captured_queries), result.reminder

    for _ in range(2):
        signed_at(actors, at(2026, 3, 13, 10, 0))  # first contact due Monday 10:00
    few, reminders = planning_queries()
    assert reminders == 2
    for _ in range(6):
        signed_at(actors, at(2026, 3, 13, 10, 0))
    many, reminders = planning_queries()
    assert reminders == 8
    assert many == few


# --- worker job and command -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_worker_runs_the_sweep_every_minute(actors: Actors) -> None:
    job = next(job for job in periodic.jobs() if job.name == "appeals.sla_sweep")
    assert job.every_seconds == 60
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False):
        outcomes = {outcome.name: outcome for outcome in periodic.run_due()}
    assert outcomes["appeals.sla_sweep"].ok
    assert outcomes["appeals.sla_sweep"].result["reminder"] == 1
    assert stages(appeal) == [SlaStage.REMINDER]


@pytest.mark.django_db
def test_command_dry_run_lists_and_writes_nothing(actors: Actors) -> None:
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    out = io.StringIO()
    with time_machine.travel(at(2026, 3, 16, 12, 0), tick=False), translation.override("en"):
        call_command("appeals_sweep", "--now", "2026-03-16T10:00", "--dry-run", stdout=out)
    assert appeal.tracking_no in out.getvalue()
    assert "Reminder to the handler" in out.getvalue()
    assert "reminders: 1" in out.getvalue()
    assert not SlaMark.objects.exists()
    assert not OutboxMessage.objects.filter(template__startswith="appeals.sla_").exists()


@pytest.mark.django_db
def test_command_with_now_takes_the_steps(actors: Actors) -> None:
    appeal = dispatched_at(actors, at(2026, 3, 13, 16, 30))
    out = io.StringIO()
    with time_machine.travel(at(2026, 3, 16, 12, 0), tick=False), translation.override("en"):
        call_command("appeals_sweep", "--now", "2026-03-16T09:40", stdout=out)
        assert "Warnings: 1, reminders: 0" in out.getvalue()
        call_command("appeals_sweep", stdout=out)  # the current time: the deadline has passed
        assert "reminders: 1" in out.getvalue()
        with pytest.raises(CommandError):
            call_command("appeals_sweep", "--now", "2026-03-17T10:00")  # the future, for real
        with pytest.raises(CommandError):
            call_command("appeals_sweep", "--now", "next tuesday")
    assert stages(appeal) == [SlaStage.WARNING, SlaStage.REMINDER]


# --- two sweeps at once (PostgreSQL) ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_sweeps_escalate_once(actors: Actors) -> None:
    appeals = [dispatched_at(actors, at(2026, 3, 13, 16, 30)) for _ in range(6)]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = sla.sweep(at(2026, 3, 16, 10, 0))
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    with time_machine.travel(at(2026, 3, 16, 10, 0), tick=False):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert all(isinstance(r, sla.SweepResult) for r in results), results
    assert sum(r.reminder for r in results) == len(appeals)
    assert sum(r.failed for r in results) == 0
    assert SlaMark.objects.count() == len(appeals)
    assert AuditEvent.objects.filter(action=AppealsAction.SLA_REMINDED).count() == len(appeals)
    assert OutboxMessage.objects.filter(template=tpl.SLA_REMINDER).count() == len(appeals)
    assert AppealEvent.objects.filter(action="sla_reminder").count() == len(appeals)
