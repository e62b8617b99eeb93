"""The SLA sweep: warnings before a deadline and the escalation after it (appeals.md, "Time limits").

Four clocks run on open appeals; their deadlines are stored by the services (`*_due_at`):

    sign_for       待签收 (dispatched)                           dispatch → sign_due_at
    first_contact  办理中 (in_progress) until first_contact_at    sign-for → contact_due_at
    handle         办理中 (in_progress)                          sign-for (or 重办) → handle_due_at
    revisit        已答复 (replied)                              reply → revisit_due_at

Stages of one deadline: a warning once SHEGONG_SLA_WARN_PERCENT of its span has passed; at the deadline a
reminder (提醒) to the handling unit; later an urging notice (催办) to the unit's leaders; later still a
督办 by the level above the unit (`appeal_supervise(actor=None)`). The revisit clock belongs to the
intake side: it only warns and reminds intake, and a reply left unrated for 7 days is closed (未评价).

Rules (docs/appeals-sla.md explains them):
- Time is counted the way the clock's limit is: working time for working-hour/day limits, calendar time
  for urgent minute/hour limits, so urgent calendar clocks escalate over weekends and normal ones do not.
- One step per clock per sweep, in order. An appeal found long after its deadline gets the reminder now
  and the urging notice one full delay after that reminder: the unit always has the whole delay to react.
  A warning that comes due only after the deadline is skipped (the reminder says more).
- Each step is one `SlaMark` (unique per appeal, clock, stage, deadline) written in the same transaction as
  its timeline entry, audit row and outbox messages, under the appeal's row lock. A second sweep, or a
  concurrent one, finds the mark and does nothing. A moved deadline (延期, 重办, 转派) is a new deadline
  and starts its own stages.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from shegong.accounts.choices import Role
from shegong.accounts.models import Grant
from shegong.appeals import notifications as tpl
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm, Clock, LimitUnit, SlaStage, State, Urgency
from shegong.appeals.limits import DEFAULT_LIMITS, UNRATED_CLOSE_AFTER, limit_for
from shegong.appeals.models import Appeal, AppealEvent, Category, ExtensionRequest, SlaMark, TimeLimit
from shegong.appeals.services import common as c
from shegong.appeals.services.outcome import appeal_close_unrated, appeal_supervise
from shegong.core import audit, calendar, notify, permissions
from shegong.divisions.codes import PREFIX_LENGTHS
from shegong.divisions.models import Division

__all__ = ["CLOSE_UNRATED", "Policy", "Step", "SweepResult", "sweep"]

logger = logging.getLogger(__name__)

CLOSE_UNRATED = "close_unrated"  # the step closing a reply nobody rated (not an SlaStage: no mark needed)
BATCH = 500  # appeals per query batch (marks and 重办 times are loaded per batch)

# Timeline actions of the steps that are not transitions (督办 and closing are the services' own).
EVENT_ACTIONS = {
    SlaStage.WARNING: "sla_warning",
    SlaStage.REMINDER: "sla_reminder",
    SlaStage.URGE: "sla_urge",
}
_AUDIT = {
    SlaStage.WARNING: AppealsAction.SLA_WARNED,
    SlaStage.REMINDER: AppealsAction.SLA_REMINDED,
    SlaStage.URGE: AppealsAction.SLA_URGED,
}
_TEMPLATES = {
    SlaStage.WARNING: tpl.SLA_WARNING,
    SlaStage.REMINDER: tpl.SLA_REMINDER,
    SlaStage.URGE: tpl.SLA_URGE,
}
_WORKING_UNITS = frozenset({LimitUnit.WORKING_HOURS, LimitUnit.WORKING_DAYS})


# --- the clocks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ClockSpec:
    clock: str
    state: str
    due_field: str
    start_field: str
    final: str  # the last stage this clock escalates to
    running: Q = field(default_factory=Q)  # besides the state: the clock has not stopped


CLOCKS = (
    _ClockSpec(Clock.SIGN_FOR, State.DISPATCHED, "sign_due_at", "dispatched_at", SlaStage.SUPERVISE),
    _ClockSpec(
        Clock.FIRST_CONTACT,
        State.IN_PROGRESS,
        "contact_due_at",
        "signed_at",
        SlaStage.SUPERVISE,
        Q(first_contact_at__isnull=True),
    ),
    _ClockSpec(Clock.HANDLE, State.IN_PROGRESS, "handle_due_at", "signed_at", SlaStage.SUPERVISE),
    # The revisit is intake's job (call the worker, record the rating): warn and remind intake only.
    _ClockSpec(Clock.REVISIT, State.REPLIED, "revisit_due_at", "replied_at", SlaStage.REMINDER),
)
_SPEC = {spec.clock: spec for spec in CLOCKS}

# Only the fields the planner reads: loading whole rows would decrypt every phone number each minute.
_PLAN_FIELDS = (
    "pk",
    "tracking_no",
    "state",
    "urgency",
    "category_id",
    "redo_count",
    "first_contact_at",
    *{spec.due_field for spec in CLOCKS},
    *{spec.start_field for spec in CLOCKS},
)


# --- settings -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """When the stages come (settings SHEGONG_SLA_*). Normal appeals count the delays in days, urgent ones
    in hours; both are measured from the deadline, in the clock's kind of time."""

    warn_percent: int = 80
    urge_after_days: int = 1
    supervise_after_days: int = 2
    urgent_urge_after_hours: int = 2
    urgent_supervise_after_hours: int = 4

    @classmethod
    def from_settings(cls) -> Policy:
        default = cls()
        policy = cls(
            **{name: getattr(settings, key, getattr(default, name)) for name, key in _SETTINGS.items()}
        )
        if not 1 <= policy.warn_percent <= 99:
            raise ImproperlyConfigured("SHEGONG_SLA_WARN_PERCENT must be between 1 and 99")
        if not 0 <= policy.urge_after_days <= policy.supervise_after_days:
            raise ImproperlyConfigured(
                "SHEGONG_SLA_URGE_AFTER_DAYS must be >= 0 and not above SHEGONG_SLA_SUPERVISE_AFTER_DAYS"
            )
        if not 0 <= policy.urgent_urge_after_hours <= policy.urgent_supervise_after_hours:
            raise ImproperlyConfigured(
                "SHEGONG_SLA_URGENT_URGE_AFTER_HOURS must be >= 0 and not above "
                "SHEGONG_SLA_URGENT_SUPERVISE_AFTER_HOURS"
            )
        return policy

    def delays(self, urgency: str) -> tuple[int, int, bool]:
        """(urge after, supervise after, in days?) for an urgency."""
        if urgency == Urgency.URGENT:
            return self.urgent_urge_after_hours, self.urgent_supervise_after_hours, False
        return self.urge_after_days, self.supervise_after_days, True


_SETTINGS = {
    "warn_percent": "SHEGONG_SLA_WARN_PERCENT",
    "urge_after_days": "SHEGONG_SLA_URGE_AFTER_DAYS",
    "supervise_after_days": "SHEGONG_SLA_SUPERVISE_AFTER_DAYS",
    "urgent_urge_after_hours": "SHEGONG_SLA_URGENT_URGE_AFTER_HOURS",
    "urgent_supervise_after_hours": "SHEGONG_SLA_URGENT_SUPERVISE_AFTER_HOURS",
}


def _later(moment: dt.datetime, amount: float, *, days: bool, working: bool) -> dt.datetime:
    if working:
        if days:
            return calendar.add_working_days(moment, int(amount))
        return calendar.add_working_hours(moment, amount)
    return moment + (dt.timedelta(days=amount) if days else dt.timedelta(hours=amount))


def _workday_hours() -> float:
    opens = dt.datetime.combine(dt.date.min, dt.time.fromisoformat(settings.SHEGONG_WORKDAY_START))
    closes = dt.datetime.combine(dt.date.min, dt.time.fromisoformat(settings.SHEGONG_WORKDAY_END))
    return (closes - opens).total_seconds() / 3600


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One thing the sweep does (or, in a dry run, would do) to one appeal."""

    appeal_id: int
    tracking_no: str
    clock: str
    stage: str  # an SlaStage value, or CLOSE_UNRATED
    due_at: dt.datetime


@dataclass
class SweepResult:
    """Counts per stage of one sweep; `steps` lists them (what was done, or in a dry run what would be)."""

    warning: int = 0
    reminder: int = 0
    urge: int = 0
    supervise: int = 0
    closed: int = 0
    skipped: int = 0  # appeals another transaction held or changed; the next sweep looks again
    failed: int = 0  # appeals whose step raised an error (logged); the next sweep tries again
    steps: list[Step] = field(default_factory=list)

    def count(self, step: Step) -> None:
        name = "closed" if step.stage == CLOSE_UNRATED else str(step.stage)
        setattr(self, name, getattr(self, name) + 1)
        self.steps.append(step)

    @property
    def total(self) -> int:
        return self.warning + self.reminder + self.urge + self.supervise + self.closed

    def as_dict(self) -> dict[str, int]:
        names = ("warning", "reminder", "urge", "supervise", "closed", "skipped", "failed")
        return {name: getattr(self, name) for name in names}


# --- the sweep ------------------------------------------------------------------------------------------


class _Sweep:
    """One sweep at `now`: caches (time limits, categories, recipients) live as long as the sweep."""

    def __init__(self, now: dt.datetime, policy: Policy) -> None:
        self.now = now
        self.policy = policy
        self._categories: dict[int, Category] | None = None
        self._working: dict[tuple[str, str, int | None], bool] = {}
        self._leaders: dict[int, list[str]] = {}
        self._intake: dict[str, list[str]] = {}

    # -- time -------------------------------------------------------------------------------------------

    def _category(self, pk: int | None) -> Category | None:
        if pk is None:
            return None
        if self._categories is None:  # a small reference table: one query for the whole sweep
            self._categories = Category.objects.select_related("parent").in_bulk()
        return self._categories.get(pk)

    def is_working(self, clock: str, urgency: str, category_id: int | None) -> bool:
        """Whether the clock's limit is in working time (else calendar time). Uses today's limit: a limit
        changed since the clock started is counted the new way."""
        key = (clock, urgency, category_id)
        if key not in self._working:
            _, unit = limit_for(clock=clock, urgency=urgency, category=self._category(category_id))
            self._working[key] = unit in _WORKING_UNITS
        return self._working[key]

    def horizon(self, clock: str) -> dt.datetime:
        """No deadline later than this can be at its warning point yet: the warning comes when (100 − p) %
        of the span is left, and no span of this clock is longer than its longest limit (+ a 延期)."""
        rows = [(amount, unit) for (cl, _), (amount, unit) in DEFAULT_LIMITS.items() if cl == clock]
        rows += list(TimeLimit.objects.filter(clock=clock).values_list("amount", "unit"))
        day = _workday_hours()
        working_hours = [
            a * (day if u == LimitUnit.WORKING_DAYS else 1) for a, u in rows if u in _WORKING_UNITS
        ]
        calendar_hours = [
            a / 60 if u == LimitUnit.CALENDAR_MINUTES else a for a, u in rows if u not in _WORKING_UNITS
        ]
        longest_working = max(working_hours, default=0.0)
        if clock == Clock.HANDLE:
            longest_working += ExtensionRequest.MAX_DAYS * day
        rest = (100 - self.policy.warn_percent) / 100
        # Instants with the same working time left are all candidates: up to the next working start.
        working = calendar.next_working_start(
            calendar.add_working_hours(self.now, rest * longest_working) + dt.timedelta(minutes=1)
        )
        return max(working, self.now + dt.timedelta(hours=rest * max(calendar_hours, default=0.0), minutes=1))

    def warn_at(self, start: dt.datetime, due: dt.datetime, *, working: bool) -> dt.datetime | None:
        share = self.policy.warn_percent / 100
        if working:
            span = calendar.working_seconds_between(start, due)
            return calendar.add_working_hours(start, span * share / 3600) if span > 0 else None
        return start + (due - start) * share if due > start else None

    def next_stage(
        self,
        spec: _ClockSpec,
        appeal: Appeal,
        marks: dict[str, dt.datetime],
        start: dt.datetime | None,
    ) -> str | None:
        """The one stage this clock of `appeal` has reached and not yet taken, given the marks for its
        current deadline (stage → when it was taken)."""
        due: dt.datetime | None = getattr(appeal, spec.due_field)
        if due is None or spec.final in marks:
            return None
        now = self.now
        working = self.is_working(spec.clock, appeal.urgency, appeal.category_id)
        if now < due:
            if SlaStage.WARNING in marks or start is None:
                return None
            warn_at = self.warn_at(start, due, working=working)
            return SlaStage.WARNING if warn_at is not None and now >= warn_at else None
        if SlaStage.REMINDER not in marks:
            return SlaStage.REMINDER
        if spec.final == SlaStage.REMINDER:
            return None
        urge_after, supervise_after, days = self.policy.delays(appeal.urgency)
        if SlaStage.URGE not in marks:
            # from the reminder actually sent: a late reminder still leaves the unit the whole delay
            urge_at = _later(max(due, marks[SlaStage.REMINDER]), urge_after, days=days, working=working)
            return SlaStage.URGE if now >= urge_at else None
        supervise_at = max(
            _later(due, supervise_after, days=days, working=working),
            _later(marks[SlaStage.URGE], supervise_after - urge_after, days=days, working=working),
        )
        return SlaStage.SUPERVISE if now >= supervise_at else None

    @staticmethod
    def start_of(spec: _ClockSpec, appeal: Appeal, redo_at: dt.datetime | None) -> dt.datetime | None:
        start: dt.datetime | None = getattr(appeal, spec.start_field)
        if spec.clock == Clock.HANDLE and redo_at is not None and (start is None or redo_at > start):
            return redo_at  # 重办 restarted the handling clock
        return start

    # -- planning ---------------------------------------------------------------------------------------

    def candidates(self, spec: _ClockSpec) -> QuerySet[Appeal]:
        """Appeals of the clock's state whose deadline is within reach, minus those already escalated to
        the last stage for that deadline (the mark's unique index answers the NOT EXISTS)."""
        done = SlaMark.objects.filter(
            appeal=OuterRef("pk"), clock=spec.clock, stage=spec.final, due_at=OuterRef(spec.due_field)
        )
        return (
            Appeal.all_objects.filter(spec.running, state=spec.state)
            .filter(**{f"{spec.due_field}__lte": self.horizon(spec.clock)})
            .exclude(Exists(done))
            .only(*_PLAN_FIELDS)
            .order_by(spec.due_field, "pk")
        )

    def plan_clock(self, spec: _ClockSpec) -> Iterator[Step]:
        batch: list[Appeal] = []
        for appeal in self.candidates(spec).iterator(chunk_size=BATCH):
            batch.append(appeal)
            if len(batch) == BATCH:
                yield from self._plan_batch(spec, batch)
                batch = []
        if batch:
            yield from self._plan_batch(spec, batch)

    def _plan_batch(self, spec: _ClockSpec, appeals: list[Appeal]) -> Iterator[Step]:
        ids = [appeal.pk for appeal in appeals]
        marks = _marks(ids, clock=spec.clock)
        redo = _redo_times([a.pk for a in appeals if a.redo_count]) if spec.clock == Clock.HANDLE else {}
        for appeal in appeals:
            due = getattr(appeal, spec.due_field)
            start = self.start_of(spec, appeal, redo.get(appeal.pk))
            stage = self.next_stage(spec, appeal, marks.get((appeal.pk, due), {}), start)
            if stage is not None:
                yield Step(appeal.pk, appeal.tracking_no, spec.clock, stage, due)

    def plan_closing(self) -> Iterator[Step]:
        unrated = (
            Appeal.all_objects.filter(state=State.REPLIED, replied_at__lte=self.now - UNRATED_CLOSE_AFTER)
            .only("pk", "tracking_no", "replied_at")
            .order_by("replied_at", "pk")
        )
        for appeal in unrated.iterator(chunk_size=BATCH):
            if appeal.replied_at is not None:  # the filter guarantees it; the type does not know
                yield _closing(appeal, appeal.replied_at)

    def plan(self) -> list[Step]:
        closing = list(self.plan_closing())
        closed = {step.appeal_id for step in closing}  # a closed appeal's revisit clock stops
        steps = [step for spec in CLOCKS for step in self.plan_clock(spec) if step.appeal_id not in closed]
        return steps + closing

    def steps_for(self, appeal: Appeal) -> list[Step]:
        """The steps due for one (locked, fresh) appeal: the same decisions as `plan`, re-made under the
        lock so that a change since planning (signed for, replied, another sweep's marks) counts."""
        replied_at = appeal.replied_at
        if appeal.state == State.REPLIED and replied_at and self.now >= replied_at + UNRATED_CLOSE_AFTER:
            return [_closing(appeal, replied_at)]
        specs = [s for s in CLOCKS if s.state == appeal.state]
        if not specs:
            return []
        marks = _marks([appeal.pk], clock=None)
        redo = _redo_times([appeal.pk]) if appeal.redo_count else {}
        steps = []
        for spec in specs:
            if spec.clock == Clock.FIRST_CONTACT and appeal.first_contact_at is not None:
                continue
            due = getattr(appeal, spec.due_field)
            start = self.start_of(spec, appeal, redo.get(appeal.pk))
            stage = self.next_stage(spec, appeal, marks.get((appeal.pk, due, spec.clock), {}), start)
            if stage is not None:
                steps.append(Step(appeal.pk, appeal.tracking_no, spec.clock, stage, due))
        return steps

    # -- taking the steps -------------------------------------------------------------------------------

    def run(self, steps: list[Step], result: SweepResult) -> None:
        appeal_ids = list(dict.fromkeys(step.appeal_id for step in steps))
        for appeal_id in appeal_ids:
            try:
                self.run_appeal(appeal_id, result)
            except Exception:
                # One broken appeal must not stop the sweep; its transaction rolled back, so the next sweep
                # tries it again from scratch.
                logger.exception("SLA sweep: appeal %s failed", appeal_id)
                result.failed += 1

    def run_appeal(self, appeal_id: int, result: SweepResult) -> None:
        with transaction.atomic():
            appeal = _lock(appeal_id)
            if appeal is None:  # another transaction holds the row (PostgreSQL skips it), or it is gone
                result.skipped += 1
                return
            taken = [step for step in self.steps_for(appeal) if self.take(appeal, step)]
        for step in taken:
            result.count(step)
        if not taken:
            result.skipped += 1

    def take(self, appeal: Appeal, step: Step) -> bool:
        if step.stage == CLOSE_UNRATED:
            try:
                appeal_close_unrated(appeal=appeal, actor=None)
            except c.AppealConflict:  # the service's own clock is the real time (a sweep with --now)
                return False
            return True
        try:
            with transaction.atomic():
                SlaMark.objects.create(
                    appeal=appeal, clock=step.clock, stage=step.stage, due_at=step.due_at, at=self.now
                )
        except IntegrityError:
            return False  # another sweep took this step first (no row lock on SQLite)
        clock_label = str(Clock(step.clock).label)
        due_text = c.local_text(step.due_at)
        if step.stage == SlaStage.SUPERVISE:
            note = gettext(
                "Escalated by the deadline sweep: the clock “{clock}” ran out at {due}; the reminder and the "
                "urging notice did not help."
            ).format(clock=clock_label, due=due_text)
            appeal_supervise(appeal=appeal, actor=None, note=note, level=_level_above_unit(appeal))
            return True
        recipients = self.recipients(appeal, step)
        AppealEvent.objects.create(
            appeal=appeal,
            at=self.now,
            actor=None,
            actor_label=c.SYSTEM,
            action=EVENT_ACTIONS[SlaStage(step.stage)],
            from_state=appeal.state,
            to_state=appeal.state,
            note=_event_note(step.stage, clock_label, due_text),
            public=False,
        )
        audit.record(
            action=_AUDIT[SlaStage(step.stage)],
            actor=None,
            actor_label=c.SYSTEM,
            target=appeal,
            changes={
                "clock": step.clock,
                "stage": step.stage,
                "due_at": timezone.localtime(step.due_at).isoformat(),
                "recipients": recipients,
            },
        )
        context = {
            "number": appeal.tracking_no,
            "clock": clock_label,
            "due": due_text,
            "unit": c.unit_name(appeal),
        }
        stamp = int(step.due_at.timestamp())
        for recipient in recipients:
            notify.enqueue(
                channel="in_app",
                recipient=recipient,
                template=_TEMPLATES[SlaStage(step.stage)],
                context=context,
                dedupe_key=f"sla:{appeal.pk}:{step.clock}:{step.stage}:{stamp}:{recipient}",
            )
        return True

    # -- who is told ------------------------------------------------------------------------------------

    def recipients(self, appeal: Appeal, step: Step) -> list[str]:
        """in_app addresses: `unit:<pk>` for the handling unit, a user's pk for a person."""
        unit_channel = [f"unit:{appeal.unit_id}"] if appeal.unit_id else []
        if step.clock == Clock.REVISIT:
            return self.intake_of(appeal.division_id)
        if step.stage == SlaStage.URGE and appeal.unit is not None:
            return self.leaders_of(appeal.unit.pk, appeal.unit.division_id) or unit_channel
        return unit_channel

    def leaders_of(self, unit_id: int, division_code: str) -> list[str]:
        """The unit's head: leaders whose grant names this unit, else the leaders of the nearest division
        covering the unit's division (its own level first, then up to nationwide)."""
        if unit_id not in self._leaders:
            self._leaders[unit_id] = _nearest_users(
                roles={Role.LEADER}, division_code=division_code, unit_id=unit_id
            )
        return self._leaders[unit_id]

    def intake_of(self, division_code: str) -> list[str]:
        """Intake staff of the nearest level covering the appeal's place (they make the revisit call)."""
        if division_code not in self._intake:
            self._intake[division_code] = _nearest_users(
                roles=set(permissions.roles_with(AppealsPerm.INTAKE)),
                division_code=division_code,
                unit_id=None,
            )
        return self._intake[division_code]


# --- helpers --------------------------------------------------------------------------------------------


def _closing(appeal: Appeal, replied_at: dt.datetime) -> Step:
    return Step(appeal.pk, appeal.tracking_no, Clock.REVISIT, CLOSE_UNRATED, replied_at + UNRATED_CLOSE_AFTER)


def _marks(appeal_ids: list[int], *, clock: str | None) -> dict[Any, dict[str, dt.datetime]]:
    """(appeal, deadline[, clock]) → {stage: taken at}; keyed with the clock when `clock` is None."""
    rows = SlaMark.objects.filter(appeal_id__in=appeal_ids)
    if clock is not None:
        rows = rows.filter(clock=clock)
    marks: dict[Any, dict[str, dt.datetime]] = {}
    for appeal_id, row_clock, stage, due_at, at in rows.values_list(
        "appeal_id", "clock", "stage", "due_at", "at"
    ):
        key = (appeal_id, due_at) if clock is not None else (appeal_id, due_at, row_clock)
        marks.setdefault(key, {})[stage] = at
    return marks


def _redo_times(appeal_ids: list[int]) -> dict[int, dt.datetime]:
    """When each appeal was last sent back for 重办 (its handling clock restarted then)."""
    if not appeal_ids:
        return {}
    rows = (
        AppealEvent.objects.filter(appeal_id__in=appeal_ids, action=c.REDO)
        .values("appeal_id")
        .annotate(last=Max("at"))
        .values_list("appeal_id", "last")
    )
    return dict(rows)


def _lock(appeal_id: int) -> Appeal | None:
    rows = Appeal.all_objects.select_related("unit__division__parent").filter(pk=appeal_id)
    if connection.features.has_select_for_update_skip_locked:
        # PostgreSQL: a row a person (or another sweep) is working on is left for the next sweep.
        return rows.select_for_update(skip_locked=True, of=("self",)).first()
    return rows.select_for_update().first()


def _level_above_unit(appeal: Appeal) -> Division | None:
    """督办 comes from the level above the unit that let the clock run out (a district department is
    supervised by the city), not from above the appeal's community."""
    unit = appeal.unit
    if unit is None:
        return None  # the service's default: above the appeal's division
    division: Division = unit.division
    return division.parent if division.parent_id else division


def _ancestors(code: str) -> list[str]:
    """The division's own code and those of the levels above it (12-digit codes, zero-padded)."""
    return list(dict.fromkeys(code[:n].ljust(12, "0") for n in PREFIX_LENGTHS if code[:n].strip("0")))


def _nearest_users(*, roles: set[str], division_code: str, unit_id: int | None) -> list[str]:
    """Users (as in_app addresses) of `roles` at the nearest level covering `division_code`; grants naming
    `unit_id` win over level grants, and grants naming another unit are not this unit's."""
    grants = (
        Grant.objects.filter(role__in=roles, is_active=True, user__is_active=True)
        .filter(Q(division_id__in=_ancestors(division_code)) | Q(division__isnull=True))
        .select_related("division")
    )
    if unit_id is not None:
        grants = grants.filter(Q(unit__isnull=True) | Q(unit_id=unit_id))
    best: tuple[int, int] | None = None
    users: list[str] = []
    for grant in grants:
        rank = (
            1 if unit_id is not None and grant.unit_id == unit_id else 0,
            len(grant.prefix) if grant.division_id else -1,
        )
        if best is None or rank > best:
            best, users = rank, []
        if rank == best:
            users.append(str(grant.user_id))
    return sorted(set(users), key=int)


def _event_note(stage: str, clock: str, due: str) -> str:
    if stage == SlaStage.WARNING:
        return gettext("Deadline warning: the clock “{clock}” runs out at {due}.").format(
            clock=clock, due=due
        )
    if stage == SlaStage.REMINDER:
        return gettext("Overdue reminder: the clock “{clock}” ran out at {due}.").format(clock=clock, due=due)
    return gettext("Urging notice: the clock “{clock}” ran out at {due}.").format(clock=clock, due=due)


# --- entry points ---------------------------------------------------------------------------------------


def sweep(now: dt.datetime | None = None, *, dry_run: bool = False) -> SweepResult:
    """Take every SLA step due at `now` (default: the current time); safe to run twice or concurrently.
    `dry_run`: only list and count the steps it would take. Call it outside a transaction: each appeal is
    its own transaction, so one failure undoes only its own steps."""
    now = now or timezone.now()
    result = SweepResult()
    # Notes and message contexts are stored text: write them in the site language, whoever runs the sweep.
    with translation.override(settings.LANGUAGE_CODE):
        run = _Sweep(now, Policy.from_settings())
        steps = run.plan()
        if dry_run:
            for step in steps:
                result.count(step)
            return result
        run.run(steps, result)
    return result
