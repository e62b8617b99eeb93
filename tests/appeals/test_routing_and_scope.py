"""The dispatch catalogue, tracking numbers, and who may act on and see which appeals."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import AppealsPerm, State
from shegong.appeals.models import Appeal, AppealEvent, Category, DispatchRule, TimeLimit
from shegong.appeals.selectors import appeals_visible_to
from shegong.appeals.tracking import ALPHABET, normalise_tracking_no
from shegong.core.models import AuditEvent, OutboxMessage
from shegong.divisions.models import Unit
from tests.appeals.conftest import Actors

pytestmark = pytest.mark.django_db


def _unit(actors: Actors, name: str, division: object | None = None) -> Unit:
    return Unit.all_objects.create(
        name=name, unit_type="government_dept", division=division or actors.world.home
    )


def test_reference_data_is_seeded() -> None:
    assert Category.objects.filter(parent=None).count() == 12
    assert Category.objects.get(code="WAGE").name == "劳动报酬"
    assert TimeLimit.objects.filter(category=None).count() == 8


def test_route_most_specific_rule_wins(actors: Actors) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    access = Category.objects.get(code="ACCESS")
    nationwide = _unit(actors, "全国兜底")
    county_any = _unit(actors, "区社会工作部")
    county_wage = _unit(actors, "区人社局")
    street_any = _unit(actors, "街道办")
    DispatchRule.objects.create(division=None, category=None, unit=nationwide)
    DispatchRule.objects.create(division=world.home, category=None, unit=county_any)
    DispatchRule.objects.create(division=world.home, category=wage, unit=county_wage)
    DispatchRule.objects.create(division=world.home_street, category=None, unit=street_any)

    # the longest division prefix wins even over a category rule higher up
    assert s.route(division=world.home_community, category=wage) == street_any
    # at the county level the category rule beats 'any'
    assert s.route(division=world.home, category=wage) == county_wage
    assert s.route(division=world.home, category=access) == county_any
    assert s.route(division=world.home, category=None) == county_any
    # elsewhere the nationwide rule
    assert s.route(division=world.away, category=wage) == nationwide
    # a second-level category inherits its parent's rule
    arrears = Category.objects.create(code="WAGE_ARREARS", name="欠薪", parent=wage)
    assert s.route(division=world.home, category=arrears) == county_wage


def test_dispatch_without_unit_uses_the_catalogue(actors: Actors) -> None:
    world = actors.world
    appeal = actors.appeal_in(State.ACCEPTED)
    with pytest.raises(ValidationError) as exc:
        s.appeal_dispatch(appeal=appeal, actor=actors.intake)
    assert "unit" in exc.value.message_dict
    DispatchRule.objects.create(division=world.home, category=None, unit=world.home_unit)
    assert s.appeal_dispatch(appeal=appeal, actor=actors.intake).unit == world.home_unit


def test_tracking_numbers_unique_and_readable(actors: Actors) -> None:
    numbers = {actors.submit().tracking_no for _ in range(30)}
    assert len(numbers) == 30
    for number in numbers:
        assert re.fullmatch(rf"[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}", number)
        assert not set(number) & set("01OI")
        assert normalise_tracking_no(number.replace("-", " ").lower()) == number


def test_out_of_scope_actor_is_refused_with_nothing_written(actors: Actors) -> None:
    world = actors.world
    appeal = actors.appeal_in(State.SUBMITTED)
    counts = (AppealEvent.objects.count(), AuditEvent.objects.count(), OutboxMessage.objects.count())
    away_intake = world.user(Role.INTAKE, world.away)
    with pytest.raises(PermissionDenied):
        s.appeal_accept(appeal=appeal, actor=away_intake)
    with pytest.raises(PermissionDenied):
        s.appeal_submit(
            actor=away_intake,
            text="代客户登记",
            division=world.home,
            phone="13900139000",
            appeal_type="help",
            worker_type="courier",
            channel="hotline",
        )
    # a leader may look but not accept
    with pytest.raises(PermissionDenied):
        s.appeal_accept(appeal=appeal, actor=actors.leader)
    assert (AppealEvent.objects.count(), AuditEvent.objects.count(), OutboxMessage.objects.count()) == counts
    assert Appeal.all_objects.count() == 1
    appeal.refresh_from_db()
    assert appeal.state == State.SUBMITTED


def test_handler_acts_only_for_their_own_unit(actors: Actors) -> None:
    world = actors.world
    other_unit = _unit(actors, "区城管局")
    other_handler = world.user(Role.HANDLER, world.home, unit=other_unit)
    unitless_handler = world.user(Role.HANDLER, world.home)
    appeal = actors.appeal_in(State.DISPATCHED)
    for outsider in (other_handler, unitless_handler, actors.intake):
        with pytest.raises(PermissionDenied):
            s.appeal_sign_for(appeal=appeal, actor=outsider)
    assert s.appeal_sign_for(appeal=appeal, actor=actors.handler).state == State.IN_PROGRESS


def test_selectors_scope_by_division_and_unit(actors: Actors) -> None:
    world = actors.world
    other_unit = _unit(actors, "区城管局")
    mine = actors.appeal_in(State.IN_PROGRESS)
    theirs = actors.appeal_in(State.ACCEPTED)
    theirs = s.appeal_dispatch(appeal=theirs, actor=actors.intake, unit=other_unit)
    waiting = actors.appeal_in(State.SUBMITTED)
    away = actors.submit(division=world.away)

    assert set(appeals_visible_to(user=actors.intake)) == {mine, theirs, waiting}
    assert set(appeals_visible_to(user=actors.leader)) == {mine, theirs, waiting}
    assert set(appeals_visible_to(user=actors.handler)) == {mine}
    assert set(appeals_visible_to(user=actors.handler, perm=AppealsPerm.HANDLE)) == {mine}
    assert set(appeals_visible_to(user=actors.intake, states=[State.SUBMITTED])) == {waiting}
    assert set(appeals_visible_to(user=world.nationwide(Role.LEADER))) == {mine, theirs, waiting, away}
    assert not appeals_visible_to(user=world.user(Role.AUDITOR)).exists()
