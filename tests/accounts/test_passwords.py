"""Password rules: length ≥ 10 by default, composition switchable for 等保 audits, no reuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from shegong.accounts import services
from shegong.accounts.choices import Role
from tests.support.world import PASSWORD, World

pytestmark = pytest.mark.django_db


def _codes(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e.code for e in exc.value.error_dict["password"]}  # type: ignore[attr-defined]


def test_nine_characters_are_too_short(world: World) -> None:
    user = world.user(Role.INTAKE)
    with pytest.raises(ValidationError) as exc:
        services.user_set_password(user=user, password="Zq7#kLm2p", actor=user)
    assert "password_too_short" in _codes(exc)
    services.user_set_password(user=user, password="Zq7#kLm2pX", actor=user)  # ten is enough


def test_complexity_is_off_by_default_and_switchable(world: World, settings: Any) -> None:
    user = world.user(Role.INTAKE)
    services.user_set_password(user=user, password="lowercaseonlywords", actor=user)
    settings.SHEGONG_PASSWORD_COMPLEXITY = True
    with pytest.raises(ValidationError) as exc:
        services.user_set_password(user=user, password="anotherlowercaseword", actor=user)
    assert "password_too_simple" in _codes(exc)
    services.user_set_password(user=user, password="Another-lowercase-9", actor=user)


def test_common_and_current_passwords_are_refused(world: World) -> None:
    user = world.user(Role.INTAKE)
    with pytest.raises(ValidationError) as exc:
        services.user_set_password(user=user, password="password123", actor=user)
    assert "password_too_common" in _codes(exc)
    with pytest.raises(ValidationError):
        services.user_set_password(user=user, password=PASSWORD, actor=user)


def test_new_password_clears_the_forced_change_and_dates_it(world: World) -> None:
    user = world.user(Role.INTAKE)
    user.must_change_password = True
    user.save()
    before = user.password_changed_at
    services.user_set_password(user=user, password="Fresh-Password-31", actor=user)
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.password_changed_at > before
