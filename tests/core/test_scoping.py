from __future__ import annotations

import pytest

from shegong.accounts.choices import AccountsPerm, Role
from shegong.core.scoping import UnscopedQueryError, division_q, scope_guard
from shegong.divisions.models import Unit
from tests.support.world import World

pytestmark = pytest.mark.django_db


def test_grant_on_county_sees_its_subtree_only(world: World) -> None:
    inner = Unit.all_objects.create(name="街道办", unit_type="street_office", division=world.home_street)
    user = world.user(Role.PLATFORM_ADMIN, world.home)
    visible = set(Unit.objects.visible_to(user, AccountsPerm.UNIT_VIEW))
    assert visible == {world.home_unit, inner}


def test_nationwide_grant_sees_everything(world: World) -> None:
    user = world.nationwide(Role.PLATFORM_ADMIN)
    assert Unit.objects.visible_to(user, AccountsPerm.UNIT_VIEW).count() == 2


def test_role_without_the_permission_sees_nothing(world: World) -> None:
    user = world.user(Role.VOLUNTEER, world.home)
    assert not Unit.objects.visible_to(user, AccountsPerm.UNIT_VIEW).exists()


def test_inactive_user_sees_nothing(world: World) -> None:
    user = world.user(Role.PLATFORM_ADMIN, world.home)
    user.is_active = False
    assert not Unit.objects.visible_to(user, AccountsPerm.UNIT_VIEW).exists()


def test_unscoped_query_during_a_request_fails_closed(world: World) -> None:
    with scope_guard(), pytest.raises(UnscopedQueryError):
        list(Unit.objects.all())
    with scope_guard():
        assert Unit.objects.unscoped().count() == 2


def test_prefix_range_does_not_match_a_sibling_with_a_longer_code() -> None:
    q = str(division_q("division_id", ["2101", "210105"]))
    # 210105 is inside 2101, so only one range is produced
    assert q.count("210100000000") == 1
    assert "210105000000" not in q
