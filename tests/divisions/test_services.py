"""Unit services: scope checked inside the service, validation, audit rows, nothing written on refusal."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.divisions import services
from shegong.divisions.audit_actions import DivisionsAction
from shegong.divisions.choices import UnitType
from shegong.divisions.demo import demo_uscc
from shegong.divisions.models import Unit
from tests.support.world import World

pytestmark = pytest.mark.django_db

VALID_USCC = demo_uscc("测试平台", region="210105", authority="91")


def _counts() -> tuple[int, int]:
    return Unit.all_objects.count(), AuditEvent.objects.count()


def test_create_in_scope_writes_the_unit_and_an_audit_row(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    unit = services.unit_create(
        actor=admin,
        name="  华山街道办事处 ",
        unit_type=UnitType.STREET_OFFICE,
        division=world.home_street,
        contact_phone="024-86000000",
    )
    assert unit.pk is not None
    assert unit.name == "华山街道办事处"
    event = AuditEvent.objects.get(action=DivisionsAction.UNIT_CREATED)
    assert event.target_id == str(unit.pk)
    assert event.division_code == world.home_street.code
    assert event.actor == admin


def test_create_out_of_scope_is_refused_and_writes_nothing(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.unit_create(
            actor=admin, name="越界单位", unit_type=UnitType.OTHER, division=world.away_street
        )
    assert _counts() == before


def test_create_without_manage_permission_is_refused(world: World) -> None:
    leader = world.user(Role.LEADER, world.home)  # sees units, may not manage them
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=leader, name="领导建的", unit_type=UnitType.OTHER, division=world.home)
    assert _counts() == before


def test_enterprise_needs_a_valid_credit_code(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    before = _counts()
    with pytest.raises(ValidationError) as missing:
        services.unit_create(
            actor=admin, name="某平台", unit_type=UnitType.PLATFORM_ENTERPRISE, division=world.home
        )
    assert "uscc" in missing.value.message_dict
    bad = VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")
    with pytest.raises(ValidationError) as wrong:
        services.unit_create(
            actor=admin, name="某平台", unit_type=UnitType.PLATFORM_ENTERPRISE, division=world.home, uscc=bad
        )
    assert "uscc" in wrong.value.message_dict
    assert _counts() == before

    unit = services.unit_create(
        actor=admin,
        name="某平台",
        unit_type=UnitType.PLATFORM_ENTERPRISE,
        division=world.home,
        uscc=VALID_USCC.lower(),
    )
    assert unit.uscc == VALID_USCC


def test_duplicate_name_in_a_division_is_a_validation_error(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    with pytest.raises(ValidationError):
        services.unit_create(
            actor=admin, name=world.home_unit.name, unit_type=UnitType.SOCIAL_WORK_DEPT, division=world.home
        )


def test_parent_outside_the_actors_view_is_refused(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(
            actor=admin, name="下属", unit_type=UnitType.OTHER, division=world.home, parent=world.away_unit
        )
    assert "parent" in excinfo.value.message_dict


def test_update_changes_given_fields_and_audits_the_diff(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    unit = services.unit_update(actor=admin, unit=world.home_unit, contact_phone="024-86111111")
    assert unit.contact_phone == "024-86111111"
    assert unit.name == "皇姑区社会工作部"
    event = AuditEvent.objects.get(action=DivisionsAction.UNIT_UPDATED)
    assert event.changes == {"contact_phone": ["", "024-86111111"]}


def test_update_without_changes_writes_no_audit_row(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    services.unit_update(actor=admin, unit=world.home_unit, name=world.home_unit.name)
    assert not AuditEvent.objects.filter(action=DivisionsAction.UNIT_UPDATED).exists()


def test_update_out_of_scope_is_refused_and_writes_nothing(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=admin, unit=world.away_unit, name="改名")
    world.away_unit.refresh_from_db()
    assert world.away_unit.name == "青秀区社会工作部"
    assert _counts() == before


def test_moving_a_unit_out_of_scope_is_refused(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=admin, unit=world.home_unit, division=world.away)
    world.home_unit.refresh_from_db()
    assert world.home_unit.division_id == world.home.code


def test_a_unit_cannot_be_placed_under_its_own_child(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    child = services.unit_create(
        actor=admin, name="下属", unit_type=UnitType.OTHER, division=world.home_street, parent=world.home_unit
    )
    with pytest.raises(ValidationError):
        services.unit_update(actor=admin, unit=world.home_unit, parent=child)
    services.unit_update(actor=admin, unit=child, parent=None)
    child.refresh_from_db()
    assert child.parent is None


def test_deactivate_is_audited_once(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    services.unit_deactivate(actor=admin, unit=world.home_unit)
    services.unit_deactivate(actor=admin, unit=world.home_unit)
    world.home_unit.refresh_from_db()
    assert world.home_unit.is_active is False
    assert AuditEvent.objects.filter(action=DivisionsAction.UNIT_DEACTIVATED).count() == 1


def test_deactivate_out_of_scope_is_refused_and_writes_nothing(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    before = _counts()
    with pytest.raises(PermissionDenied):
        services.unit_deactivate(actor=admin, unit=world.away_unit)
    world.away_unit.refresh_from_db()
    assert world.away_unit.is_active is True
    assert _counts() == before


def test_nationwide_admin_manages_everywhere(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    unit = services.unit_update(actor=admin, unit=world.away_unit, contact_phone="0771-5000000")
    assert unit.contact_phone == "0771-5000000"


def test_an_inactive_unit_cannot_become_a_parent_but_stays_one(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    child = services.unit_create(
        actor=admin, name="下属", unit_type=UnitType.OTHER, division=world.home_street, parent=world.home_unit
    )
    services.unit_deactivate(actor=admin, unit=world.home_unit)
    world.home_unit.refresh_from_db()
    before = _counts()
    with pytest.raises(ValidationError) as excinfo:
        services.unit_create(
            actor=admin, name="新下属", unit_type=UnitType.OTHER, division=world.home, parent=world.home_unit
        )
    assert "parent" in excinfo.value.message_dict
    assert _counts() == before

    # The existing child keeps its (now inactive) parent when other fields change.
    child = services.unit_update(actor=admin, unit=child, parent=world.home_unit, name="下属改名")
    assert (child.name, child.parent_id) == ("下属改名", world.home_unit.pk)
