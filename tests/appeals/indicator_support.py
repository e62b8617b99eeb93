"""Builders for the indicator tests: appeals driven through the real services at chosen moments, so that
on-time and late cases come from the real deadlines (2026-03, no holidays; 09:00–17:30 working days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import time_machine
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, ReturnReason, Satisfaction, WorkerType
from shegong.appeals.indicators.compute import Period
from shegong.appeals.models import Appeal
from shegong.divisions.models import Division, Unit
from tests.appeals.conftest import PHONE, Actors

TZ = timezone.get_default_timezone()
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class Flow:
    """One appeal moved step by step, each step at its own moment."""

    actors: Actors
    appeal: Appeal
    handler: User

    def do(self, when: dt.datetime, service: Callable[..., Any], **kwargs: Any) -> Flow:
        with time_machine.travel(when, tick=False):
            result = service(appeal=self.appeal, **kwargs)
        if isinstance(result, Appeal):
            self.appeal = result
        return self

    def dispatch(self, when: dt.datetime, unit: Unit | None = None) -> Flow:
        return self.do(when, s.appeal_dispatch, actor=self.actors.intake, unit=unit or self.unit)

    def sign(self, when: dt.datetime) -> Flow:
        return self.do(when, s.appeal_sign_for, actor=self.handler)

    def contact(self, when: dt.datetime) -> Flow:
        return self.do(when, s.appeal_record_contact, actor=self.handler, note="电话联系")

    def reply(self, when: dt.datetime) -> Flow:
        return self.do(when, s.appeal_reply, actor=self.handler, text="已处理")

    def give_back(self, when: dt.datetime) -> Flow:
        return self.do(when, s.appeal_return, actor=self.handler, reason=ReturnReason.WRONG_PLACE, note="")

    def rate(
        self, when: dt.datetime, *, resolved: bool = True, satisfaction: str = Satisfaction.SATISFIED
    ) -> Flow:
        return self.do(when, s.appeal_rate, resolved=resolved, satisfaction=satisfaction)

    def close_unrated(self, when: dt.datetime) -> Flow:
        return self.do(when, s.appeal_close_unrated)

    @property
    def unit(self) -> Unit:
        return self.actors.world.home_unit if self.appeal.unit_id is None else self.appeal.unit  # type: ignore[return-value]


def filed(
    actors: Actors,
    when: dt.datetime,
    *,
    division: Division | None = None,
    handler: User | None = None,
    **overrides: Any,
) -> Flow:
    """A new appeal, submitted and accepted at `when`."""
    with time_machine.travel(when, tick=False):
        appeal = s.appeal_submit(
            text="站点拖欠配送费",
            division=division or actors.world.home_community,
            phone=PHONE,
            appeal_type=AppealType.COMPLAINT,
            worker_type=WorkerType.FOOD_DELIVERY,
            channel=Channel.H5,
            **overrides,
        )
        appeal = s.appeal_accept(appeal=appeal, actor=actors.intake)
    return Flow(actors, appeal, handler or actors.handler)


def closed_good(actors: Actors, day: int = 9, **kwargs: Any) -> Appeal:
    """Everything in time; rated resolved and satisfied two days after dispatch."""
    flow = filed(actors, at(day, 8, 30), **kwargs).dispatch(at(day, 9)).sign(at(day, 10)).contact(at(day, 11))
    return flow.reply(at(day + 2, 9)).rate(at(day + 2, 10)).appeal


def second_unit(actors: Actors, division: Division | None = None) -> tuple[Unit, User]:
    """Another unit (in the home street by default) and its handler."""
    division = division or actors.world.home_street
    unit = Unit.all_objects.create(name="测试街道办事处", unit_type="street_office", division=division)
    return unit, actors.world.user(Role.HANDLER, actors.world.home, unit=unit)


def the_six(actors: Actors) -> dict[str, Appeal]:
    """The hand-built set of docs/appeals-indicators.md ("worked example"): six appeals of the home unit
    closed in March 2026, one of them excluded afterwards by the caller."""
    a1 = closed_good(actors)  # handling Mon 09:00 → Wed 09:00 = 17 working hours
    a2 = (  # signed late (due 11:00); rated basically satisfied; 8.5 h
        filed(actors, at(9, 8, 30))
        .dispatch(at(9, 9))
        .sign(at(9, 14))
        .contact(at(9, 15))
        .reply(at(10, 9))
        .rate(at(10, 10), satisfaction=Satisfaction.BASICALLY_SATISFIED)
        .appeal
    )
    a3 = (  # no contact before the reply, replied after the 5-day deadline; closed unrated; 44.5 h
        filed(actors, at(9, 8, 30))
        .dispatch(at(9, 9))
        .sign(at(9, 10))
        .reply(at(16, 11))
        .close_unrated(at(23, 12))
        .appeal
    )
    # a4: returned once, re-dispatched; rated unresolved → redo; then resolved; 16 h from the last dispatch
    a4 = (
        filed(actors, at(9, 8, 30))
        .dispatch(at(9, 9))
        .give_back(at(9, 9, 30))
        .dispatch(at(9, 10))
        .sign(at(9, 10, 30))
        .contact(at(9, 11))
        .reply(at(10, 9))
        .rate(at(10, 10), resolved=False, satisfaction=Satisfaction.DISSATISFIED)
        .reply(at(11, 9))
        .rate(at(11, 10))
        .appeal
    )
    a5 = closed_good(actors)  # to be excluded
    # a6: rated dissatisfied → redo, replied again, closed unrated: rated, neither resolved nor satisfied
    a6 = (
        filed(actors, at(9, 8, 30))
        .dispatch(at(9, 9))
        .sign(at(9, 10))
        .contact(at(9, 11))
        .reply(at(10, 9))
        .rate(at(10, 10), resolved=True, satisfaction=Satisfaction.DISSATISFIED)
        .reply(at(10, 11))
        .close_unrated(at(17, 12))
        .appeal
    )
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5, "a6": a6}
