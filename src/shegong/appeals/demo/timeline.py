"""The life of one demo appeal: from filing to wherever it stands at the run's anchor
time, with the rows the services and the SLA sweep would have written on the way.

Each step happens at a drawn time after the one before; a step whose time lies after the anchor has not
happened yet, so recent appeals are open and older ones closed. How fast a unit signs for, contacts and
replies depends on its profile (on time, uneven, late); deadlines come from the time-limit table
(limits.limit_for/apply_limit, as limits.due does) and the sweep's stages from its own policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import gettext

from shegong.appeals.choices import (
    Channel,
    Clock,
    ExtensionStatus,
    ReturnReason,
    Satisfaction,
    State,
    Urgency,
)
from shegong.appeals.demo import texts
from shegong.appeals.demo.rows import Record, Spec
from shegong.appeals.demo.steps import Steps, level_above
from shegong.appeals.limits import UNRATED_CLOSE_AFTER
from shegong.appeals.models import Appeal, ExtensionRequest, ReturnRecord, Supervision
from shegong.appeals.services import common as c
from shegong.appeals.sla import EVENT_ACTIONS
from shegong.core import calendar
from shegong.divisions.models import Unit


class _Extension(NamedTuple):
    """A 延期 the unit will ask for: when, how many working days, when the leader decides, and how."""

    ask_at: dt.datetime
    days: int
    decide_at: dt.datetime
    approve: bool


# Timeline actions that the services write through `record` (and so bump the appeal's version).
_UNVERSIONED = frozenset({c.SUBMIT, *EVENT_ACTIONS.values()})


@dataclass(frozen=True)
class Profile:
    """How a unit works: delays drawn uniformly from these ranges."""

    sign_hours: tuple[float, float]  # working hours from dispatch to sign-for (normal urgency)
    sign_minutes: tuple[float, float]  # calendar minutes (urgent)
    contact_days: tuple[float, float]  # working days from sign-for to the first contact (normal)
    contact_minutes: tuple[float, float]  # calendar minutes (urgent)
    reply_days: tuple[float, float]  # working days from sign-for (or 重办) to the reply (normal)
    urgent_reply_days: tuple[float, float]
    ratings: tuple[float, float, float]  # satisfied, basically satisfied, failed (不满意 or 未解决)
    extension: float  # share of appeals it asks an extension for


ON_TIME = Profile(
    (0.05, 1.3), (4, 25), (0.05, 0.7), (15, 90), (0.6, 3.8), (0.1, 0.8), (0.8, 0.14, 0.06), 0.05
)
UNEVEN = Profile((0.2, 2.6), (10, 40), (0.2, 1.3), (30, 150), (1.5, 5.6), (0.3, 1.2), (0.64, 0.22, 0.14), 0.1)
LATE = Profile((1.0, 7.0), (20, 150), (0.6, 3.0), (60, 400), (3.5, 11.0), (0.7, 3.0), (0.42, 0.28, 0.3), 0.25)
# Most units are on time; these are reliably late, or a little uneven.
LATE_UNITS = frozenset(
    {
        "皇姑区住房和城乡建设局",
        "三台子街道办事处",
        "南宁市公安局青秀分局交通警察大队",
        "新城区城市管理综合行政执法局",
        "货拉拉呼和浩特新城区司机之家",
    }
)
UNEVEN_UNITS = frozenset(
    {"皇姑区总工会", "饿了么南宁青秀区配送站", "青秀区司法局", "明廉街道办事处", "新城区卫生健康局"}
)
# The journey's appeals: handled briskly so that they stand in the queue the journey needs.
QUICK = Profile((0.05, 0.4), (3, 12), (0.02, 0.1), (10, 30), (0.3, 0.8), (0.05, 0.3), (0.8, 0.14, 0.06), 0.0)


class Simulation(Steps):
    """Draws each appeal's fate, one appeal at a time, in the order they were filed."""

    # -- the life of an appeal --------------------------------------------------------------------------

    def run(self, spec: Spec, tracking_no: str) -> Record:
        appeal = Appeal(
            tracking_no=tracking_no,
            text=spec.text,
            category=spec.category,
            urgency=spec.urgency,
            appeal_type=spec.appeal_type,
            worker_type=spec.worker_type,
            platform=spec.platform,
            channel=spec.channel,
            division=spec.division,
            address=spec.address,
            lat=spec.lat,
            lng=spec.lng,
            phone=spec.phone,
            anonymous=spec.anonymous,
            source_ref=spec.source_ref,
            state=State.SUBMITTED,
            submitted_at=spec.submitted_at,
        )
        rec = Record(spec=spec, appeal=appeal)
        if spec.channel == Channel.HOTLINE:
            filer = self.intake(spec)
            appeal.filed_by = filer[0]  # the operator who took the call, as the hotline form records
        elif spec.channel in (Channel.API, Channel.OPEN311):
            filer = (None, f"{spec.platform}开放平台")  # a platform's system; no demo account stands for it
        else:
            filer = (None, c.WORKER)
        self.event(rec, spec.submitted_at, c.SUBMIT, State.SUBMITTED, filer)
        self.life(rec)
        appeal.version = sum(1 for e in rec.events if e.action not in _UNVERSIONED)
        rec.events.sort(key=lambda e: e.at)  # the sweep's steps were drawn after the main line
        return rec

    def life(self, rec: Record) -> None:
        spec, appeal, rng = rec.spec, rec.appeal, self.rng
        plain = spec.plain
        withdraw_in = (
            None
            if plain or rng.random() >= 0.03
            else rng.choice(
                (State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.IN_PROGRESS, State.IN_PROGRESS)
            )
        )
        rejected = not plain and spec.merge_into is None and rng.random() < 0.04
        if spec.stop == State.SUBMITTED:
            return
        t = self.intake_at(spec, spec.submitted_at)
        if withdraw_in == State.SUBMITTED:
            self.withdraw(rec, self.withdraw_at(spec.submitted_at, t))
            return
        if not self.happened(t):
            return
        if rejected and rng.random() < 0.75:
            self.reject(rec, t)
            return
        target = spec.merge_into
        if target is not None and (target.appeal.closed_at is None or target.appeal.closed_at > t):
            rec.merged_into = target
            appeal.closed_at = t
            self.event(rec, t, c.MERGE, State.MERGED, self.intake(spec), target.appeal.tracking_no)
            return
        appeal.accepted_at = t
        self.event(rec, t, c.ACCEPT, State.ACCEPTED, self.intake(spec))
        if spec.stop == State.ACCEPTED:
            return
        t_dispatch = self.dispatch_at(spec, t)
        if withdraw_in == State.ACCEPTED:
            self.withdraw(rec, self.withdraw_at(t, t_dispatch))
            return
        if not self.happened(t_dispatch):
            return
        if rejected:
            self.reject(rec, t_dispatch)
            return
        unit = spec.unit or self.pick_unit(spec)
        if unit is None:
            return  # no rule and no choice: it waits for a dispatcher (待派单)
        returned = not plain and rng.random() < (0.1 if spec.category.code in ("ACCESS", "PARKING") else 0.05)
        self.dispatch(rec, t_dispatch, unit)
        if returned:
            t_back = self.working_hours(t_dispatch, self.u((0.2, 1.8)))
            self.sla(
                rec, Clock.SIGN_FOR, start=t_dispatch, due=appeal.sign_due_at, since=t_dispatch, until=t_back
            )
            if not self.happened(t_back):
                return
            self.return_(rec, t_back, unit)
            t_dispatch = self.working_hours(t_back, self.u((0.2, 1.5)))
            if not self.happened(t_dispatch):
                return
            unit = self.redispatch(spec, unit)
            self.dispatch(rec, t_dispatch, unit)
        self.handle(rec, unit, t_dispatch, withdraw_in)

    def handle(self, rec: Record, unit: Unit, t_dispatch: dt.datetime, withdraw_in: str | None) -> None:
        spec, appeal, rng = rec.spec, rec.appeal, self.rng
        profile = QUICK if spec.stop else _profile(unit)
        urgent = spec.urgency == Urgency.URGENT
        if urgent:
            t_sign = t_dispatch + dt.timedelta(minutes=self.u(profile.sign_minutes))
        else:
            t_sign = self.working_hours(t_dispatch, self.u(profile.sign_hours))
        if withdraw_in == State.DISPATCHED or spec.stop == State.DISPATCHED:
            stop = self.withdraw_at(t_dispatch, t_sign) if withdraw_in else None
            self.sla(
                rec, Clock.SIGN_FOR, start=t_dispatch, due=appeal.sign_due_at, since=t_dispatch, until=stop
            )
            self.withdraw(rec, stop)
            return
        self.sla(
            rec, Clock.SIGN_FOR, start=t_dispatch, due=appeal.sign_due_at, since=t_dispatch, until=t_sign
        )
        if not self.happened(t_sign):
            return
        appeal.signed_at = t_sign
        appeal.contact_due_at = self.due(Clock.FIRST_CONTACT, appeal, t_sign)
        appeal.handle_due_at = self.due(Clock.HANDLE, appeal, t_sign)
        self.event(rec, t_sign, c.SIGN_FOR, State.IN_PROGRESS, self.handler(unit))
        if urgent:
            t_contact = t_sign + dt.timedelta(minutes=self.u(profile.contact_minutes))
            reply_days = self.u(profile.urgent_reply_days)
        else:
            t_contact = self.working_days(t_sign, self.u(profile.contact_days))
            reply_days = self.u(profile.reply_days)
        if profile is ON_TIME and rng.random() < 0.03:
            reply_days *= 1.6  # even a good unit slips now and then
        # 延期: asked for after a day or two, decided by the leader within the day
        extension: _Extension | None = None
        if not spec.plain and not urgent and rng.random() < profile.extension:
            t_ask = self.working_days(t_sign, self.u((0.8, 2.5)))
            days = rng.choice((3, 5, 5, 7, 10))
            t_decide = self.working_hours(t_ask, self.u((0.5, 7)))
            extension = _Extension(t_ask, days, t_decide, rng.random() < 0.85)
            reply_days = max(reply_days, 3.0) + days * (
                self.u((0.2, 0.9)) if profile is not LATE else self.u((0.6, 1.3))
            )
        t_reply = max(self.working_days(t_sign, reply_days), t_contact + dt.timedelta(minutes=30))
        if extension and t_reply <= extension.decide_at:
            t_reply = self.working_days(extension.decide_at, 0.5)
        withdrawn = self.withdraw_at(t_sign, t_reply) if withdraw_in == State.IN_PROGRESS else None
        t_stop = withdrawn or t_reply
        if spec.stop == State.IN_PROGRESS:
            t_stop = self.anchor + dt.timedelta(days=3650)
        # first contact
        if t_contact < t_stop and self.happened(t_contact):
            appeal.first_contact_at = t_contact
            self.event(
                rec,
                t_contact,
                c.CONTACT,
                State.IN_PROGRESS,
                self.handler(unit),
                rng.choice(texts.CONTACT_NOTES),
            )
        self.sla(
            rec,
            Clock.FIRST_CONTACT,
            start=t_sign,
            due=appeal.contact_due_at,
            since=t_sign,
            until=appeal.first_contact_at or t_stop,
        )
        # leader's 督办 on some appeals being handled
        if not spec.plain and rng.random() < 0.03:
            t_sup = self.working_days(t_sign, self.u((0.5, 3)))
            if t_sup < t_stop and self.happened(t_sup):
                self.supervision(
                    rec,
                    t_sup,
                    by=self.leader(spec),
                    level=level_above(appeal.division),
                    note=rng.choice(texts.SUPERVISION_NOTES),
                    deadline=calendar.add_working_days(t_sup, 2),
                )
        handle_since = t_sign
        if extension is not None and extension.ask_at < t_stop and self.happened(extension.ask_at):
            handle_since = self.extend(rec, unit, extension, t_stop, t_sign)
        self.sla(rec, Clock.HANDLE, start=t_sign, due=appeal.handle_due_at, since=handle_since, until=t_stop)
        self.withdraw(rec, withdrawn)
        if t_stop != t_reply or not self.happened(t_reply):
            return
        self.revisits(rec, unit, profile, t_reply)

    def extend(
        self, rec: Record, unit: Unit, extension: _Extension, t_stop: dt.datetime, t_sign: dt.datetime
    ) -> dt.datetime:
        """延期 asked (and perhaps decided); returns since when the handling deadline is the current one."""
        appeal, rng = rec.appeal, self.rng
        t_ask, days, t_decide, approve = extension
        request = ExtensionRequest(
            days=days,
            reason=rng.choice(texts.EXTENSION_REASONS),
            requested_by=self.handler(unit)[0],
            requested_at=t_ask,
        )
        rec.extension = request
        appeal.extension_used = True
        self.event(
            rec,
            t_ask,
            c.REQUEST_EXTENSION,
            State.IN_PROGRESS,
            self.handler(unit),
            request.reason,
            public=False,
        )
        if not (t_decide < t_stop and self.happened(t_decide)):
            return t_sign
        leader = self.leader(rec.spec)
        request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        request.decided_by, request.decided_at = leader[0], t_decide
        request.decision_note = rng.choice(texts.EXTENSION_APPROVED if approve else texts.EXTENSION_REFUSED)
        self.event(
            rec,
            t_decide,
            c.DECIDE_EXTENSION,
            State.IN_PROGRESS,
            leader,
            request.decision_note,
            public=approve,
        )
        if not approve:
            return t_sign
        # the old deadline was current until now; the sweep's steps on it end here
        self.sla(rec, Clock.HANDLE, start=t_sign, due=appeal.handle_due_at, since=t_sign, until=t_decide)
        appeal.handle_due_at = calendar.add_working_days(appeal.handle_due_at or t_decide, days)
        return t_decide

    def revisits(self, rec: Record, unit: Unit, profile: Profile, t_reply: dt.datetime) -> None:
        """Reply, then the worker's rating: closed, or 重办 and another reply (at most twice)."""
        spec, appeal, rng = rec.spec, rec.appeal, self.rng
        for round_no in range(3):
            reply = rng.choice(spec.situation.replies or spec.pool.replies).format(**spec.slots)
            if round_no:
                reply = "经重新核查办理，" + reply
            appeal.replied_at, appeal.reply_text = t_reply, reply
            appeal.first_contact_at = appeal.first_contact_at or t_reply
            appeal.revisit_due_at = self.due(Clock.REVISIT, appeal, t_reply)
            self.event(rec, t_reply, c.REPLY, State.REPLIED, self.handler(unit), reply)
            if spec.stop == State.REPLIED:
                self.sla(
                    rec, Clock.REVISIT, start=t_reply, due=appeal.revisit_due_at, since=t_reply, until=None
                )
                return
            rated = rng.random() < (0.8 if round_no == 0 else 0.65)
            if not rated:
                t_close = t_reply + UNRATED_CLOSE_AFTER + dt.timedelta(seconds=self.u((1, 59)))
                self.sla(
                    rec, Clock.REVISIT, start=t_reply, due=appeal.revisit_due_at, since=t_reply, until=t_close
                )
                if self.happened(t_close):
                    appeal.closed_at = t_close
                    self.event(rec, t_close, c.CLOSE_UNRATED, State.CLOSED, (None, c.SYSTEM))
                return
            who = self.worker_or_hotline(spec)
            if who[1] == c.WORKER:
                t_rate = t_reply + dt.timedelta(hours=self.u((0.5, 60)))
            else:
                t_rate = self.working_hours(t_reply, self.u((0.5, 20)))
            self.sla(
                rec, Clock.REVISIT, start=t_reply, due=appeal.revisit_due_at, since=t_reply, until=t_rate
            )
            if not self.happened(t_rate):
                return
            satisfaction, resolved = self.rating(profile, round_no)
            if not appeal.first_satisfaction:  # 解决率 and 满意率 count the first verdict (appeal_rate)
                appeal.first_resolved, appeal.first_satisfaction = resolved, satisfaction
            if resolved and satisfaction != Satisfaction.DISSATISFIED:
                appeal.closed_at, appeal.resolved, appeal.satisfaction = t_rate, True, satisfaction
                appeal.rating_comment = rng.choice(texts.COMMENTS[satisfaction])
                self.event(rec, t_rate, c.RATE, State.CLOSED, who, appeal.rating_comment)
                return
            # 不满意, or not solved: 重办 with the same unit, supervised, a new handling clock
            failed_how = "unresolved" if satisfaction == Satisfaction.BASICALLY_SATISFIED else satisfaction
            comment = rng.choice(texts.COMMENTS[failed_how])
            appeal.redo_count += 1
            appeal.supervised = True
            appeal.revisit_due_at = None
            appeal.handle_due_at = self.due(Clock.HANDLE, appeal, t_rate)
            self.event(rec, t_rate, c.REDO, State.IN_PROGRESS, who, comment)
            if appeal.redo_count >= 2:
                rec.supervisions.append(
                    Supervision(
                        by=None,
                        level=level_above(appeal.division),
                        note=gettext("Rated unresolved or unsatisfactory a second time."),
                        deadline=appeal.handle_due_at,
                        created_at=t_rate,
                    )
                )
            days = self.u(profile.urgent_reply_days if spec.urgency == Urgency.URGENT else profile.reply_days)
            t_reply = self.working_days(t_rate, days * 0.7)
            self.sla(rec, Clock.HANDLE, start=t_rate, due=appeal.handle_due_at, since=t_rate, until=t_reply)
            if not self.happened(t_reply):
                return

    def rating(self, profile: Profile, round_no: int) -> tuple[str, bool]:
        """The worker's verdict (satisfaction, resolved); a redone answer fails less often, a third never."""
        satisfied, basic, failed = profile.ratings
        failed = failed / (2**round_no) if round_no < 2 else 0.0
        roll = self.rng.random() * (satisfied + basic + failed)
        if roll < satisfied:
            return Satisfaction.SATISFIED, True
        if roll < satisfied + basic:
            return Satisfaction.BASICALLY_SATISFIED, True
        return self.rng.choices(
            [
                (Satisfaction.DISSATISFIED, False),
                (Satisfaction.DISSATISFIED, True),
                (Satisfaction.BASICALLY_SATISFIED, False),
            ],
            weights=[55, 15, 30],
        )[0]

    # -- single steps -----------------------------------------------------------------------------------

    def pick_unit(self, spec: Spec) -> Unit | None:
        """The dispatcher's choice: the platform's own branch for platform matters, a specialist unit the
        situation calls for, else the dispatch catalogue's unit."""
        rng, county, hint = self.rng, spec.county, spec.situation.hint
        branch = county.branches.get(spec.platform)
        if (
            branch is not None
            and (spec.category.code == "PLATFORM" or hint == "platform")
            and rng.random() < 0.75
        ):
            return branch
        if hint == "street" and spec.division.level > 6:
            office = county.offices.get(spec.division.code[:9].ljust(12, "0"))
            if office is not None:
                return office
        if hint == "swo" and county.social_orgs and rng.random() < 0.8:
            return rng.choice(county.social_orgs)
        if hint in county.units and rng.random() < 0.8:
            return county.units[hint]
        return self.route(spec.division, spec.category)

    def dispatch(self, rec: Record, at: dt.datetime, unit: Unit) -> None:
        appeal = rec.appeal
        appeal.unit, appeal.dispatched_at = unit, at
        appeal.sign_due_at = self.due(Clock.SIGN_FOR, appeal, at)
        self.event(rec, at, c.DISPATCH, State.DISPATCHED, self.intake(rec.spec))

    def return_(self, rec: Record, at: dt.datetime, unit: Unit) -> None:
        rng = self.rng
        reason = rng.choice(ReturnReason.values)
        note = rng.choice(texts.RETURN_NOTES[reason])
        who = self.handler(unit)
        rec.returns.append(ReturnRecord(unit=unit, reason=reason, note=note, by=who[0], at=at))
        rec.appeal.unit, rec.appeal.sign_due_at = None, None
        label = f"{unit.name}: {ReturnReason(reason).label}"
        self.event(rec, at, c.RETURN, State.ACCEPTED, who, f"{label} — {note}")

    def reject(self, rec: Record, at: dt.datetime) -> None:
        reason = self.rng.choice(texts.REJECT_REASONS)
        rec.appeal.closed_at, rec.appeal.close_reason = at, reason
        self.event(rec, at, c.REJECT, State.REJECTED, self.intake(rec.spec), reason)

    def withdraw_at(self, since: dt.datetime, before: dt.datetime) -> dt.datetime | None:
        """When the worker withdraws, between `since` and the next step; None if that is still to come."""
        at = since + (before - since) * self.u((0.2, 0.8))
        return at if self.happened(at) else None

    def withdraw(self, rec: Record, at: dt.datetime | None) -> None:
        if at is None:
            return
        reason = self.rng.choice(texts.WITHDRAW_REASONS)
        rec.appeal.closed_at, rec.appeal.close_reason = at, reason
        self.event(rec, at, c.WITHDRAW, State.WITHDRAWN, self.worker_or_hotline(rec.spec), reason)


def _profile(unit: Unit) -> Profile:
    if unit.name in LATE_UNITS:
        return LATE
    if unit.name in UNEVEN_UNITS:
        return UNEVEN
    return ON_TIME
