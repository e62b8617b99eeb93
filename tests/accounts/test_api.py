"""/api/v1/accounts: me, the scoped list, detail and the audited phone reveal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client, override_settings

from shegong.accounts import services
from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

PHONE = "13812345678"
MIDDLE = "1234"  # the digits a masked number must never show


def _account(world: World, division: Any, name: str = "账户甲") -> User:
    return services.user_create(
        actor=None, username=f"acct-{division.code}", real_name=name, phone=PHONE, division=division
    )


class TestUserDetailApi(ScopedEndpointSuite):
    allowed_role = Role.LEADER
    forbidden_role = Role.VOLUNTEER  # holds no account permission anywhere

    def make_object(self, world: World, division: Any) -> User:
        return _account(world, division)

    def url(self, obj: Any) -> str:
        return f"/api/v1/accounts/users/{obj.pk}"


class TestRevealPhoneApi(ScopedEndpointSuite):
    method = "post"
    allowed_role = Role.PLATFORM_ADMIN
    forbidden_role = Role.LEADER  # sees the account, may not reveal
    watched_models = (User,)

    def make_object(self, world: World, division: Any) -> User:
        return _account(world, division)

    def url(self, obj: Any) -> str:
        return f"/api/v1/accounts/users/{obj.pk}/reveal-phone"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reason": "回访核实身份"}


pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_me_lists_roles_with_chinese_labels_and_division_names(world: World) -> None:
    user = world.user(Role.INTAKE, world.home)
    body = _client(user).get("/api/v1/accounts/me").json()
    assert body["username"] == user.username
    assert body["roles"] == [{"value": "intake", "label": str(Role.INTAKE.label)}]
    assert body["grants"][0]["division_name"] == "皇姑区"


def test_me_with_a_token_from_the_command(world: World, capsys: Any) -> None:
    user = world.user(Role.INTAKE)
    call_command("create_api_token", user.username, "--name", "12345 热线", "--days", "30")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    response = Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION="Bearer sg_wrong").status_code == 401


def test_list_is_scoped_masked_and_searchable(world: World) -> None:
    inside = _account(world, world.home_street, "张三")
    _account(world, world.away_street, "李四")
    viewer = _client(world.user(Role.LEADER, world.home))
    body = viewer.get("/api/v1/accounts/users").json()
    assert [item["id"] for item in body["items"]] == [inside.pk]
    assert body["items"][0]["phone_masked"] == "138****5678"
    assert MIDDLE not in json.dumps(body)
    assert viewer.get("/api/v1/accounts/users", {"q": "张"}).json()["count"] == 1
    assert viewer.get("/api/v1/accounts/users", {"q": "李"}).json()["count"] == 0
    assert viewer.get("/api/v1/accounts/users", {"q": PHONE}).json()["count"] == 1
    assert viewer.get("/api/v1/accounts/users", {"q": "13900000000"}).json()["count"] == 0
    assert viewer.get("/api/v1/accounts/users", {"page": 0}).status_code == 400


def test_phone_search_finds_accounts_during_a_key_rotation(world: World) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(SHEGONG_FIELD_KEY=old_key):
        inside = _account(world, world.home_street)
    viewer = _client(world.user(Role.LEADER, world.home))
    with override_settings(SHEGONG_FIELD_KEY=f"{new_key},{old_key}"):  # not yet re-hashed
        body = viewer.get("/api/v1/accounts/users", {"q": PHONE}).json()
    assert [item["id"] for item in body["items"]] == [inside.pk]


def test_list_without_permission_is_403(world: World) -> None:
    response = _client(world.user(Role.VOLUNTEER)).get("/api/v1/accounts/users")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_detail_masks_the_phone(world: World) -> None:
    target = _account(world, world.home_street)
    body = (
        _client(world.user(Role.PLATFORM_ADMIN, world.home)).get(f"/api/v1/accounts/users/{target.pk}").json()
    )
    assert body["phone_masked"] == "138****5678"
    assert MIDDLE not in json.dumps(body)


def test_reveal_returns_the_number_and_writes_one_audit_row(world: World) -> None:
    target = _account(world, world.home_street)
    admin = world.user(Role.PLATFORM_ADMIN, world.home)
    response = _client(admin).post(
        f"/api/v1/accounts/users/{target.pk}/reveal-phone",
        json.dumps({"reason": "核实联系方式"}),
        content_type="application/json",
    )
    assert response.json() == {"phone": PHONE}
    row = AuditEvent.objects.get(action=CoreAction.PII_REVEALED)
    assert (row.actor_id, row.target_id, row.division_code) == (
        admin.pk,
        str(target.pk),
        world.home_street.code,
    )
    assert row.changes == {"field": "phone", "reason": "核实联系方式"}


def test_reveal_needs_a_reason(world: World) -> None:
    target = _account(world, world.home_street)
    response = _client(world.user(Role.PLATFORM_ADMIN, world.home)).post(
        f"/api/v1/accounts/users/{target.pk}/reveal-phone",
        json.dumps({"reason": "看"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "reason" in response.json()["details"]["fields"]
    assert not AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).exists()
    too_long = _client(world.user(Role.PLATFORM_ADMIN, world.home)).post(
        f"/api/v1/accounts/users/{target.pk}/reveal-phone",
        json.dumps({"reason": "核" * 201}),
        content_type="application/json",
    )
    assert too_long.status_code == 400
    assert not AuditEvent.objects.filter(action=CoreAction.PII_REVEALED).exists()
