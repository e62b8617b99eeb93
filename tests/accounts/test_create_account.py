from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from shegong.accounts.choices import AccountsPerm, Role
from shegong.accounts.models import User
from shegong.core.models import AuditEvent
from tests.support.world import World

pytestmark = pytest.mark.django_db


def _run(monkeypatch: pytest.MonkeyPatch, *args: str, password: str = "Long-enough-pw-1") -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("create_account", *args, "--password-stdin", stdout=out)
    return out.getvalue()


def test_first_administrator_is_created_with_a_grant_and_audited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(monkeypatch, "first_admin", "--role", Role.PLATFORM_ADMIN, "--division", world.home.code)
    user = User.objects.get(username="first_admin")
    assert user.must_change_password
    assert user.check_password("Long-enough-pw-1")
    assert user.scope_prefixes(AccountsPerm.USER_MANAGE) == [world.home.prefix]
    assert AuditEvent.objects.filter(target_id=str(user.pk)).exists()


def test_nationwide_auditor(monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    _run(monkeypatch, "chief_auditor", "--role", Role.AUDITOR, "--nationwide")
    assert User.objects.get(username="chief_auditor").roles() == [Role.AUDITOR]


def test_weak_password_and_unknown_division_create_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CommandError):
        _run(monkeypatch, "weak", "--role", Role.LEADER, "--division", world.home.code, password="short")
    with pytest.raises(CommandError, match="no division"):
        _run(monkeypatch, "lost", "--role", Role.LEADER, "--division", "990000000000")
    assert not User.objects.filter(username__in=["weak", "lost"]).exists()
