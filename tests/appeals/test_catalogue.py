"""Platform admins edit categories, time limits and the dispatch catalogue without code, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shegong.accounts.choices import Role
from shegong.appeals import catalogue
from shegong.appeals import services as s
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Clock, LimitUnit, State, Urgency
from shegong.appeals.limits import limit_for
from shegong.appeals.models import Category, DispatchRule
from shegong.core.models import AuditEvent
from tests.appeals.conftest import Actors

pytestmark = pytest.mark.django_db


def test_second_level_category_with_its_own_time_limit(actors: Actors) -> None:
    admin = actors.world.nationwide(Role.PLATFORM_ADMIN)
    wage = Category.objects.get(code="WAGE")
    arrears = catalogue.category_create(actor=admin, parent=wage, code="wage_arrears", name="欠薪")
    assert arrears.code == "WAGE_ARREARS"
    assert arrears.default_unit_type == wage.default_unit_type
    with pytest.raises(ValidationError):
        catalogue.category_create(actor=admin, parent=arrears, code="DEEP", name="三级")
    with pytest.raises(ValidationError):
        catalogue.category_create(actor=admin, parent=wage, code="WAGE_ARREARS", name="重复")

    # the default applies until the category (or its parent) has its own row
    assert limit_for(clock=Clock.HANDLE, urgency=Urgency.NORMAL, category=arrears) == (5, "working_days")
    catalogue.time_limit_set(
        actor=admin,
        category=wage,
        urgency=Urgency.NORMAL,
        clock=Clock.HANDLE,
        amount=3,
        unit=LimitUnit.WORKING_DAYS,
    )
    assert limit_for(clock=Clock.HANDLE, urgency=Urgency.NORMAL, category=arrears) == (3, "working_days")
    catalogue.time_limit_set(
        actor=admin,
        category=arrears,
        urgency=Urgency.NORMAL,
        clock=Clock.HANDLE,
        amount=2,
        unit=LimitUnit.WORKING_DAYS,
    )
    assert limit_for(clock=Clock.HANDLE, urgency=Urgency.NORMAL, category=arrears) == (2, "working_days")
    with pytest.raises(ValidationError):
        catalogue.time_limit_set(
            actor=admin,
            category=None,
            urgency=Urgency.NORMAL,
            clock=Clock.HANDLE,
            amount=0,
            unit=LimitUnit.WORKING_DAYS,
        )
    catalogue.category_update(actor=admin, category=arrears, is_active=False)
    with pytest.raises(ValidationError):
        actors.submit(category=Category.objects.get(code="WAGE_ARREARS"))
    assert AuditEvent.objects.filter(action=AppealsAction.TIME_LIMIT_SET).count() == 2
    assert AuditEvent.objects.filter(action=AppealsAction.CATEGORY_UPDATED).count() == 1


def test_only_nationwide_admins_edit_categories(actors: Actors) -> None:
    local_admin = actors.world.user(Role.PLATFORM_ADMIN)
    for user in (local_admin, actors.intake):
        with pytest.raises(PermissionDenied):
            catalogue.category_create(
                actor=user, parent=Category.objects.get(code="WAGE"), code="X", name="某"
            )


def test_dispatch_rule_replaces_the_previous_one_within_scope(actors: Actors) -> None:
    world = actors.world
    local_admin = world.user(Role.PLATFORM_ADMIN)
    first = catalogue.dispatch_rule_set(
        actor=local_admin, division=world.home, category=None, unit=world.home_unit
    )
    other = type(world.home_unit).all_objects.create(
        name="区人社局", unit_type="government_dept", division=world.home
    )
    second = catalogue.dispatch_rule_set(actor=local_admin, division=world.home, category=None, unit=other)
    first.refresh_from_db()
    assert not first.is_active
    assert second.is_active
    assert s.route(division=world.home_community, category=None) == other
    with pytest.raises(PermissionDenied):
        catalogue.dispatch_rule_set(
            actor=local_admin, division=world.away, category=None, unit=world.away_unit
        )
    with pytest.raises(PermissionDenied):
        catalogue.dispatch_rule_set(actor=local_admin, division=None, category=None, unit=world.home_unit)
    assert DispatchRule.objects.count() == 2
    appeal = actors.appeal_in(State.ACCEPTED)
    assert s.appeal_dispatch(appeal=appeal, actor=actors.intake).unit == other


def test_a_rule_names_a_unit_on_its_line_of_the_tree(actors: Actors) -> None:
    world = actors.world
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    # a street rule may send to the district's unit (a level above) ...
    rule = catalogue.dispatch_rule_set(
        actor=admin, division=world.home_street, category=None, unit=world.home_unit
    )
    assert s.route(division=world.home_community, category=None) == world.home_unit
    assert rule.division_id == world.home_street.code
    # ... but not to a unit of another province
    with pytest.raises(ValidationError) as excinfo:
        catalogue.dispatch_rule_set(actor=admin, division=world.home, category=None, unit=world.away_unit)
    assert "unit" in excinfo.value.message_dict
