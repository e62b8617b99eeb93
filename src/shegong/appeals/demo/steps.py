"""The building blocks of a simulated history: time, who acted, timeline rows, and the steps the SLA
sweep (appeals/sla.py) takes on a running clock — reproduced with the sweep's own policy, event names and
notes, so that the demo history reads as if the sweep had run every minute and a real sweep finds every
step already taken (its marks) and does not repeat it."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals.choices import Channel, Clock, LimitUnit, SlaStage, State, Urgency
from shegong.appeals.demo.rows import Actors, Record, Spec
from shegong.appeals.limits import apply_limit, limit_for
from shegong.appeals.models import Appeal, AppealEvent, Category, SlaMark, Supervision
from shegong.appeals.services import common as c
from shegong.appeals.sla import EVENT_ACTIONS, Policy, _event_note, _later, _level_above_unit
from shegong.core import calendar
from shegong.divisions.models import Division, Unit

# The state an appeal is in while a clock runs.
_CLOCK_STATES: dict[str, str] = {
    Clock.SIGN_FOR: State.DISPATCHED,
    Clock.FIRST_CONTACT: State.IN_PROGRESS,
    Clock.HANDLE: State.IN_PROGRESS,
    Clock.REVISIT: State.REPLIED,
}
# The dispatch catalogue (division, category) → unit, and the dispatcher's choice after a 退单.
Route = Callable[[Division, Category], Unit | None]
Redispatch = Callable[[Spec, Unit], Unit]
_WORKING_UNITS = frozenset({LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS})


class Steps:
    """Time, actors and rows for one run (caches the time limits); `timeline.Simulation` tells the story."""

    def __init__(
        self, *, anchor: dt.datetime, actors: Actors, rng: random.Random, route: Route, redispatch: Redispatch
    ) -> None:
        self.anchor = anchor
        self.actors = actors
        self.rng = rng
        self.route = route  # (division, category) → Unit | None
        self.redispatch = redispatch  # (spec, the unit that returned it) → the unit it goes to next
        self.policy = Policy.from_settings()
        self._limits: dict[tuple[str, str, int | None], tuple[int, str]] = {}
        opens, closes = (
            dt.time.fromisoformat(v) for v in (settings.SHEGONG_WORKDAY_START, settings.SHEGONG_WORKDAY_END)
        )
        self.day_hours = (
            dt.datetime.combine(dt.date.min, closes) - dt.datetime.combine(dt.date.min, opens)
        ).seconds / 3600

    # -- time -------------------------------------------------------------------------------------------

    def u(self, bounds: tuple[float, float]) -> float:
        return self.rng.uniform(*bounds)

    def working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        return calendar.add_working_hours(start, hours)

    def working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        return calendar.add_working_hours(start, days * self.day_hours)

    def limit(self, clock: str, appeal: Appeal) -> tuple[int, str]:
        key = (clock, appeal.urgency, appeal.category_id)
        if key not in self._limits:
            self._limits[key] = limit_for(clock=clock, urgency=appeal.urgency, category=appeal.category)
        return self._limits[key]

    def due(self, clock: str, appeal: Appeal, start: dt.datetime) -> dt.datetime:
        """limits.due without a query per call."""
        return apply_limit(start, *self.limit(clock, appeal))

    def intake_at(self, spec: Spec, after: dt.datetime) -> dt.datetime:
        """Intake reads new appeals 08:00–22:00 every day; urgent ones and hotline calls at once."""
        if spec.urgency == Urgency.URGENT or spec.channel == Channel.HOTLINE:
            return after + dt.timedelta(minutes=self.u((2, 15)))
        local = timezone.localtime(after)
        if 8 <= local.hour < 22:
            return after + dt.timedelta(minutes=self.u((5, 80)))
        day = local.date() + dt.timedelta(days=1 if local.hour >= 22 else 0)
        start = dt.datetime.combine(day, dt.time(8), tzinfo=timezone.get_default_timezone())
        return start + dt.timedelta(minutes=self.u((5, 60)))

    def dispatch_at(self, spec: Spec, after: dt.datetime) -> dt.datetime:
        """Dispatchers work in working hours; urgent appeals go out at once."""
        if spec.urgency == Urgency.URGENT:
            return after + dt.timedelta(minutes=self.u((3, 15)))
        return calendar.next_working_start(after) + dt.timedelta(minutes=self.u((5, 50)))

    def happened(self, at: dt.datetime) -> bool:
        return at <= self.anchor

    # -- who --------------------------------------------------------------------------------------------

    def intake(self, spec: Spec) -> tuple[Any, str]:
        a = self.actors
        if (
            a.intake is not None
            and a.intake_prefix is not None
            and spec.division.code.startswith(a.intake_prefix)
        ):
            return a.intake, a.intake.get_username()
        return None, spec.county.intake_label

    def handler(self, unit: Unit) -> tuple[Any, str]:
        a = self.actors
        if a.handler is not None and a.handler_unit is not None and unit.pk == a.handler_unit.pk:
            return a.handler, a.handler.get_username()
        return None, unit.name

    def leader(self, spec: Spec) -> tuple[Any, str]:
        if self.actors.leader is not None:
            return self.actors.leader, self.actors.leader.get_username()
        return None, spec.county.intake_label

    def worker_or_hotline(self, spec: Spec) -> tuple[Any, str]:
        if spec.channel == Channel.HOTLINE or self.rng.random() < 0.3:
            return self.intake(spec)
        return None, c.WORKER

    # -- rows -------------------------------------------------------------------------------------------

    def event(
        self,
        rec: Record,
        at: dt.datetime,
        action: str,
        to_state: str,
        who: tuple[Any, str],
        note: str = "",
        public: bool = True,
    ) -> None:
        actor, label = who
        rec.events.append(
            AppealEvent(
                at=at,
                actor=actor,
                actor_label=label,
                action=action,
                from_state=rec.state if action != c.SUBMIT else "",
                to_state=to_state,
                note=note,
                public=public,
            )
        )
        rec.state = to_state
        rec.appeal.state = to_state

    def note(
        self, rec: Record, at: dt.datetime, action: str, state: str, who: tuple[Any, str], note: str
    ) -> None:
        """An internal entry that does not move the appeal, stamped with the state the appeal was in then
        (the sweep's steps are drawn after the main line, so the appeal may have moved on since)."""
        rec.events.append(
            AppealEvent(
                at=at,
                actor=who[0],
                actor_label=who[1],
                action=action,
                from_state=state,
                to_state=state,
                note=note,
                public=False,
            )
        )

    def sla(
        self,
        rec: Record,
        clock: str,
        *,
        start: dt.datetime,
        due: dt.datetime | None,
        since: dt.datetime,
        until: dt.datetime | None,
    ) -> None:
        """The sweep's steps (it runs every minute) on one deadline while it is the clock's current one:
        from `since` (it was set) until `until` (the clock stops or the deadline moves; None or a time after
        the anchor: it is still running)."""
        appeal = rec.appeal
        if due is None:  # no deadline, nothing to escalate (as in the sweep)
            return

        def current(at: dt.datetime) -> bool:
            return at <= self.anchor and (until is None or at < until)

        working = self.limit(clock, appeal)[1] in _WORKING_UNITS
        share = self.policy.warn_percent / 100
        if working:
            span = calendar.working_seconds_between(start, due)
            warn_at = calendar.add_working_hours(start, span * share / 3600) if span > 0 else None
        else:
            warn_at = start + (due - start) * share if due > start else None
        if warn_at is not None and max(warn_at, since) < due and current(max(warn_at, since)):
            self.sla_step(rec, clock, SlaStage.WARNING, due, max(warn_at, since))
        reminder = max(due, since)
        if not current(reminder):
            return
        self.sla_step(rec, clock, SlaStage.REMINDER, due, reminder)
        if clock == Clock.REVISIT:  # intake's clock: warning and reminder only
            return
        urge_after, supervise_after, days = self.policy.delays(appeal.urgency)
        urge = _later(reminder, urge_after, days=days, working=working)
        if not current(urge):
            return
        self.sla_step(rec, clock, SlaStage.URGE, due, urge)
        supervise = max(
            _later(due, supervise_after, days=days, working=working),
            _later(urge, supervise_after - urge_after, days=days, working=working),
        )
        if current(supervise):
            self.sla_supervise(rec, clock, due, supervise)

    def sla_step(self, rec: Record, clock: str, stage: str, due: dt.datetime, at: dt.datetime) -> None:
        rec.marks.append(SlaMark(clock=clock, stage=stage, due_at=due, at=at))
        if stage != SlaStage.SUPERVISE:
            note = _event_note(stage, str(Clock(clock).label), c.local_text(due))
            self.note(rec, at, EVENT_ACTIONS[SlaStage(stage)], _CLOCK_STATES[clock], (None, c.SYSTEM), note)

    def sla_supervise(self, rec: Record, clock: str, due: dt.datetime, at: dt.datetime) -> None:
        self.sla_step(rec, clock, SlaStage.SUPERVISE, due, at)
        note = gettext(
            "Escalated by the deadline sweep: the clock “{clock}” ran out at {due}; the reminder and the "
            "urging notice did not help."
        ).format(clock=str(Clock(clock).label), due=c.local_text(due))
        level = _level_above_unit(rec.appeal) or level_above(rec.appeal.division)
        deadline = calendar.add_working_days(at, 1)
        self.supervision(
            rec,
            at,
            by=(None, c.SYSTEM),
            level=level,
            note=note,
            deadline=deadline,
            state=_CLOCK_STATES[clock],
        )

    def supervision(
        self,
        rec: Record,
        at: dt.datetime,
        *,
        by: tuple[Any, str],
        level: Division,
        note: str,
        deadline: dt.datetime,
        state: str = State.IN_PROGRESS,
    ) -> None:
        rec.supervisions.append(
            Supervision(by=by[0], level=level, note=note, deadline=deadline, created_at=at)
        )
        rec.appeal.supervised = True
        self.note(rec, at, c.SUPERVISE, state, by, note)


def level_above(division: Division) -> Division:
    return division.parent if division.parent_id else division  # type: ignore[return-value]
