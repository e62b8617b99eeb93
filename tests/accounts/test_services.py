"""Account services: 三权分立, scope of administrators, audit rows, API tokens."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client

from shegong.accounts import services
from shegong.accounts.audit_actions import AccountsAction
from shegong.accounts.choices import Role
from shegong.accounts.models import Grant, User
from shegong.core.models import AuditEvent
from tests.support.world import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (Role.PLATFORM_ADMIN, Role.AUDITOR),
        (Role.PLATFORM_ADMIN, Role.SECURITY_ADMIN),
        (Role.SECURITY_ADMIN, Role.AUDITOR),
        (Role.AUDITOR, Role.PLATFORM_ADMIN),
    ],
)
def test_separated_roles_are_mutually_exclusive(world: World, held: str, wanted: str) -> None:
    user = world.user(held, world.home)
    with pytest.raises(ValidationError) as exc:
        services.grant_add(user=user, role=wanted, division=world.home, actor=None)
    assert "role" in exc.value.message_dict
    assert list(user.grants.values_list("role", flat=True)) == [held]
    assert not AuditEvent.objects.filter(action=AccountsAction.GRANT_ADDED).exists()


def test_a_separated_role_combines_with_business_roles_and_itself_elsewhere(world: World) -> None:
    user = world.user(Role.PLATFORM_ADMIN, world.home)
    services.grant_add(user=user, role=Role.LEADER, division=world.home, actor=None)
    services.grant_add(user=user, role=Role.PLATFORM_ADMIN, division=world.away, actor=None)
    assert user.grants.count() == 3


def test_admin_grants_only_within_own_scope_and_not_to_self(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    target = services.user_create(actor=admin, username="new-intake", division=world.home_street)
    services.grant_add(user=target, role=Role.INTAKE, division=world.home_street, actor=admin)
    with pytest.raises(PermissionDenied):
        services.grant_add(user=target, role=Role.INTAKE, division=world.away, actor=admin)
    with pytest.raises(PermissionDenied):
        services.grant_add(user=target, role=Role.INTAKE, division=None, actor=admin)  # nationwide
    with pytest.raises(ValidationError):
        services.grant_add(user=admin, role=Role.LEADER, division=world.home, actor=admin)
    with pytest.raises(PermissionDenied):
        services.user_create(actor=admin, username="elsewhere", division=world.away)
    row = AuditEvent.objects.get(action=AccountsAction.GRANT_ADDED)
    assert row.actor_id == admin.pk
    assert row.division_code == world.home_street.code


def test_grant_remove_is_audited(world: World) -> None:
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    target = services.user_create(actor=admin, username="temp", division=world.home)
    grant = services.grant_add(user=target, role=Role.HANDLER, division=world.home, actor=admin)
    services.grant_remove(grant=grant, actor=admin)
    assert not Grant.objects.filter(user=target).exists()
    assert AuditEvent.objects.filter(action=AccountsAction.GRANT_REMOVED, actor=admin).count() == 1


def test_user_create_validates_and_masks_the_phone_in_the_audit_log(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=None, username="x", phone="12345")
    assert "phone" in exc.value.message_dict
    user = services.user_create(
        actor=None, username="Phoned", phone="13812345678", password="Long-Enough-Pass-1"
    )
    assert user.must_change_password
    with pytest.raises(ValidationError):
        services.user_create(actor=None, username="phoned")  # case-insensitive uniqueness
    row = AuditEvent.objects.get(action=AccountsAction.USER_CREATED)
    assert row.changes["phone"] == "138****5678"
    assert "13812345678" not in str(row.changes)


def test_user_update_records_old_and_new(world: World) -> None:
    user = services.user_create(actor=None, username="upd", real_name="甲", phone="13812345678")
    services.user_update(user=user, actor=None, real_name="乙", phone="13900001111")
    row = AuditEvent.objects.get(action=AccountsAction.USER_UPDATED)
    assert row.changes == {"real_name": ["甲", "乙"], "phone": ["138****5678", "139****1111"]}


def test_api_token_is_stored_hashed_and_authenticates(world: World) -> None:
    user = world.user(Role.INTAKE)
    token, raw = services.api_token_create(user=user, name="对接系统", actor=None)
    assert raw not in token.key_hash
    api = Client()
    response = api.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    services.api_token_revoke(token=token, actor=None)
    assert api.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert AccountsAction.API_TOKEN_CREATED in actions
    assert AccountsAction.API_TOKEN_REVOKED in actions


# Committing test: the flush after it empties the tables; tests/conftest.py reseeds the calendar.
@pytest.mark.django_db(transaction=True)
def test_concurrent_separated_grants_cannot_both_pass(world: World) -> None:
    """Two connections grant different 三权分立 roles at once; the row lock lets exactly one through."""
    if connection.vendor != "postgresql":
        # SQLite serialises writing transactions (BEGIN IMMEDIATE), so there is no race to prove there.
        user = world.user(Role.VOLUNTEER)
        services.grant_add(user=user, role=Role.AUDITOR, division=None, actor=None)
        with pytest.raises(ValidationError):
            services.grant_add(user=user, role=Role.SECURITY_ADMIN, division=None, actor=None)
        return
    user = world.user(Role.VOLUNTEER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def grant(role: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.grant_add(user=User.objects.get(pk=user.pk), role=role, division=None, actor=None)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=grant, args=(r,)) for r in (Role.AUDITOR, Role.SECURITY_ADMIN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    held = set(Grant.objects.filter(user=user).values_list("role", flat=True))
    assert len(held & {Role.AUDITOR, Role.SECURITY_ADMIN}) == 1
