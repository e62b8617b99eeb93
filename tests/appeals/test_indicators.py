"""Indicator formulas and grouping on a hand-built set of appeals with known numbers."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from shegong.accounts.choices import Role
from shegong.accounts.models import Grant
from shegong.appeals.choices import State
from shegong.appeals.indicators import formulas
from shegong.appeals.indicators.clock import WorkingClock
from shegong.appeals.indicators.compute import Grouping, Period, indicator_report, sort_rows
from shegong.appeals.indicators.forms import PeriodChoice, preset_period
from shegong.appeals.indicators.services import exclusion_add, exclusion_lift
from shegong.core.calendar import working_seconds_between
from shegong.divisions.models import Division
from tests.appeals.conftest import Actors
from tests.appeals.indicator_support import MARCH, TZ, at, closed_good, filed, second_unit, the_six

pytestmark = pytest.mark.django_db


def rates_of(row) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {
        key: (row.ratio(key).numerator, row.ratio(key).denominator)
        for key in ("response", "resolution", "satisfaction", "on_time", "return", "redo")
    }


# --- the formulas --------------------------------------------------------------------------------------


def test_every_rate_on_the_hand_built_set(actors: Actors) -> None:
    six = the_six(actors)
    exclusion_add(appeal=six["a5"], actor=actors.leader, reason="重复恶意诉求")
    report = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT)

    assert len(report.rows) == 1
    row = report.rows[0]
    assert row.label == actors.world.home_unit.name
    assert (row.counted, row.excluded) == (5, 1)
    assert rates_of(row) == {
        "response": (3, 5),  # a2 signed late, a3 contacted late
        # first ratings: a1 resolved+satisfied, a2 resolved+basically, a4 unresolved+dissatisfied (then
        # resolved after 重办 — the first verdict counts), a6 resolved+dissatisfied; a3 never rated
        "resolution": (3, 4),
        "satisfaction": (2, 4),
        "on_time": (4, 5),  # a3 replied after its deadline
        "return": (1, 5),  # a4
        "redo": (2, 4),  # a4, a6
    }
    assert row.ratio("response").percent == 60.0
    assert row.ratio("on_time").percent == 80.0
    # working hours dispatch → reply: 17 + 8.5 + 44.5 + 16 + 10.5 (the excluded a5 is left out)
    assert row.handled == 5
    assert row.avg_hours == pytest.approx(96.5 / 5)
    assert rates_of(report.total) == rates_of(row)


def test_excluding_and_lifting_changes_the_rates(actors: Actors) -> None:
    six = the_six(actors)
    before = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert (before.counted, before.excluded) == (6, 0)
    assert rates_of(before)["response"] == (4, 6)
    assert before.avg_hours == pytest.approx((96.5 + 17) / 6)

    exclusion = exclusion_add(appeal=six["a3"], actor=actors.leader, reason="诉求人无理纠缠")
    after = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert (after.counted, after.excluded) == (5, 1)
    assert rates_of(after)["response"] == (4, 5)
    assert rates_of(after)["on_time"] == (5, 5)
    assert after.avg_hours == pytest.approx((96.5 + 17 - 44.5) / 5)

    exclusion_lift(exclusion=exclusion, actor=actors.leader, reason="复核后认定合理")
    lifted = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert rates_of(lifted) == rates_of(before)


def test_handling_time_can_start_at_sign_for(actors: Actors) -> None:
    closed_good(actors)  # dispatched 09:00, signed 10:00, replied two days later 09:00
    with override_settings(SHEGONG_APPEAL_INDICATORS={"handling_from": "signed"}):
        row = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert row.avg_hours == pytest.approx(16.0)


def test_formulas_are_configurable(actors: Actors) -> None:
    the_six(actors)
    config = {"rates": {"response": {"numerator": ["signed_in_time"]}}}
    with override_settings(SHEGONG_APPEAL_INDICATORS=config):
        row = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert rates_of(row)["response"] == (5, 6)  # only a2 signed late


@pytest.mark.parametrize(
    "config",
    [
        {"rates": {"response": {"numerator": ["drop table"]}}},
        {"rates": {"speed": {"numerator": ["replied"]}}},
        {"rates": {"response": {"numerator": "signed_in_time"}}},
        {"handling_from": "submitted"},
        {"colour": "red"},
    ],
)
def test_bad_formula_settings_fail_loudly(config: dict) -> None:  # type: ignore[type-arg]
    with override_settings(SHEGONG_APPEAL_INDICATORS=config), pytest.raises(ImproperlyConfigured):
        # every setting is read by one of the two: both must refuse what they read
        formulas.handling_start_field() if "handling_from" in config else formulas.rates()


# --- zero denominators and the population ---------------------------------------------------------------


def test_zero_denominators_are_none_not_zero(actors: Actors) -> None:
    flow = filed(actors, at(9, 8, 30)).dispatch(at(9, 9)).sign(at(9, 10)).reply(at(9, 11))
    flow.close_unrated(at(16, 12))  # closed without any rating
    row = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert row.counted == 1
    for key in ("resolution", "satisfaction", "redo"):
        assert row.ratio(key).denominator == 0
        assert row.ratio(key).percent is None
    assert row.ratio("on_time").percent == 100.0


def test_an_empty_period_has_no_rows_and_no_rates(actors: Actors) -> None:
    closed_good(actors)
    report = indicator_report(
        user=actors.leader, period=Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31)), grouping=Grouping.UNIT
    )
    assert report.rows == []
    assert report.is_empty
    assert report.total.ratio("response").percent is None
    assert report.total.avg_hours is None


def test_only_closed_appeals_count(actors: Actors) -> None:
    closed_good(actors)
    filed(actors, at(9, 8, 30)).dispatch(at(9, 9)).sign(at(9, 10)).reply(at(10, 9))  # replied, not rated
    with time_machine.travel(at(9, 12), tick=False):
        actors.appeal_in(State.REJECTED)
        actors.appeal_in(State.WITHDRAWN)
        actors.appeal_in(State.MERGED)
    row = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    assert row.counted == 1


def test_period_boundaries_are_local_midnights(actors: Actors) -> None:
    def closed_at(when: dt.datetime) -> None:
        flow = filed(actors, at(30, 8, 30)).dispatch(at(30, 9)).sign(at(30, 10)).contact(at(30, 11))
        flow.reply(at(31, 9)).rate(when)

    closed_at(dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=TZ))
    closed_at(dt.datetime(2026, 4, 1, 0, 0, tzinfo=TZ))  # 2026-03-31 16:00 UTC: still April in Shanghai
    closed_at(dt.datetime(2026, 3, 31, 10, 0, tzinfo=TZ))
    march = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT).total
    april = indicator_report(
        user=actors.leader, period=Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30)), grouping=Grouping.UNIT
    ).total
    one_day = indicator_report(
        user=actors.leader, period=Period(dt.date(2026, 3, 31), dt.date(2026, 3, 31)), grouping=Grouping.UNIT
    ).total
    assert (march.counted, april.counted, one_day.counted) == (2, 1, 2)


def test_preset_periods() -> None:
    today = dt.date(2026, 5, 20)
    assert preset_period(PeriodChoice.THIS_MONTH, today) == Period(dt.date(2026, 5, 1), today)
    assert preset_period(PeriodChoice.LAST_MONTH, today) == Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert preset_period(PeriodChoice.THIS_QUARTER, today) == Period(dt.date(2026, 4, 1), today)
    january = dt.date(2026, 1, 5)
    assert preset_period(PeriodChoice.LAST_MONTH, january) == Period(
        dt.date(2025, 12, 1), dt.date(2025, 12, 31)
    )


# --- grouping ------------------------------------------------------------------------------------------


def test_grouping_by_unit_and_the_unit_heads_view(actors: Actors) -> None:
    unit2, handler2 = second_unit(actors)
    closed_good(actors)
    closed_good(actors)
    flow = filed(actors, at(9, 8, 30), division=actors.world.home_street, handler=handler2)
    flow.dispatch(at(9, 9), unit=unit2).sign(at(9, 14)).contact(at(9, 15)).reply(at(10, 9)).rate(at(10, 10))

    leader = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT)
    assert {(r.label, r.counted) for r in leader.rows} == {(actors.world.home_unit.name, 2), (unit2.name, 1)}
    by_label = {r.label: r for r in leader.rows}
    assert by_label[unit2.name].ratio("response").percent == 0.0
    assert by_label[actors.world.home_unit.name].ratio("response").percent == 100.0
    assert leader.total.counted == 3

    # the head of the second unit (a handler granted on the unit) sees only their unit's row
    head = indicator_report(user=handler2, period=MARCH, grouping=Grouping.UNIT)
    assert [(r.label, r.counted) for r in head.rows] == [(unit2.name, 1)]


def test_grouping_by_sub_division_and_drilling_down(actors: Actors) -> None:
    world = actors.world
    street2 = Division.objects.create(code="210105002000", name="第二街道", level=9, parent=world.home)
    closed_good(actors)  # home_community (under home_street)
    closed_good(actors, division=street2)
    closed_good(actors, division=street2)
    closed_good(actors, division=world.home)  # filed at the district itself

    report = indicator_report(
        user=actors.leader, period=MARCH, grouping=Grouping.DIVISION, division=world.home
    )
    rows = {r.key: r for r in report.rows}
    assert {k: r.counted for k, r in rows.items()} == {"210105001": 1, "210105002": 2, "210105000": 1}
    assert rows["210105002"].label == "第二街道"
    assert rows["210105002"].drill_code == "210105002000"
    assert rows["210105000"].drill_code == ""  # the district itself: nothing below to open
    assert "皇姑区" in rows["210105000"].label

    street = indicator_report(
        user=actors.leader, period=MARCH, grouping=Grouping.DIVISION, division=world.home_street
    )
    assert [(r.key, r.label, r.counted) for r in street.rows] == [("210105001001", "测试社区", 1)]

    community = indicator_report(
        user=actors.leader, period=MARCH, grouping=Grouping.DIVISION, division=world.home_community
    )
    assert [(r.key, r.counted, r.drill_code) for r in community.rows] == [("210105001001", 1, "")]


def test_division_grouping_without_a_division_uses_the_jurisdictions(actors: Actors) -> None:
    world = actors.world
    closed_good(actors)
    # a leader over both counties sees one row per county; a nationwide one, one row per province
    both = world.user(Role.LEADER, world.home)
    Grant.objects.create(user=both, role=Role.LEADER, division=world.away)
    report = indicator_report(user=both, period=MARCH, grouping=Grouping.DIVISION)
    assert [(r.key, r.label, r.counted, r.drill_code) for r in report.rows] == [
        ("210105", "皇姑区", 1, "210105000000")
    ]
    national = indicator_report(user=world.nationwide(Role.LEADER), period=MARCH, grouping=Grouping.DIVISION)
    assert [(r.key, r.label, r.counted) for r in national.rows] == [("21", "辽宁省", 1)]


def test_out_of_scope_appeals_never_count(actors: Actors) -> None:
    closed_good(actors)
    away = actors.world.user(Role.LEADER, actors.world.away)
    assert indicator_report(user=away, period=MARCH, grouping=Grouping.UNIT).is_empty


def test_rows_sort_by_a_rate_with_missing_values_last(actors: Actors) -> None:
    unit2, handler2 = second_unit(actors)
    closed_good(actors)
    flow = filed(actors, at(9, 8, 30), division=actors.world.home_street, handler=handler2)
    flow.dispatch(at(9, 9), unit=unit2).sign(at(9, 14)).reply(at(10, 9)).close_unrated(at(17, 10))
    report = indicator_report(user=actors.leader, period=MARCH, grouping=Grouping.UNIT)
    home = actors.world.home_unit.name
    assert [r.label for r in sort_rows(report.rows, "-response", report.rates)] == [home, unit2.name]
    assert [r.label for r in sort_rows(report.rows, "response", report.rates)] == [unit2.name, home]
    # unit2 has no rating: its resolution rate is missing and stays last either way
    assert [r.label for r in sort_rows(report.rows, "resolution", report.rates)] == [home, unit2.name]
    assert [r.label for r in sort_rows(report.rows, "-resolution", report.rates)] == [home, unit2.name]
    assert len(sort_rows(report.rows, "nonsense", report.rates)) == 2


def test_the_report_is_a_fixed_number_of_queries(actors: Actors, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        closed_good(actors)
    with django_assert_max_num_queries(8):
        indicator_report(
            user=actors.leader, period=MARCH, grouping=Grouping.DIVISION, division=actors.world.home
        )


# --- the working clock ---------------------------------------------------------------------------------


def test_working_clock_matches_the_calendar_across_holidays() -> None:
    rng = random.Random(7)
    clock = WorkingClock()
    base = dt.datetime(2026, 9, 20, tzinfo=TZ)  # around National Day 2026 and its 调休 weekends
    for _ in range(200):
        a = base + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 40))
        b = a + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        assert clock.seconds(a, b) == working_seconds_between(a, b)
    # an earlier date than any seen so far grows the table backwards
    early = dt.datetime(2026, 9, 1, 10, tzinfo=TZ)
    assert clock.seconds(early, base) == working_seconds_between(early, base)
    assert clock.seconds(base, early) == 0
