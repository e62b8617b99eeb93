"""/api/v1/divisions and /api/v1/units: the generic scoped suite plus the endpoints' own behaviour."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import models
from django.test import Client

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.divisions.demo import demo_uscc
from shegong.divisions.models import Unit
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

# A grant whose role carries no permission at all: the only way to lack DIVISION_VIEW (every role has it).
NO_PERMISSIONS = "no_permissions"
VALID_USCC = demo_uscc("接口测试平台", region="210105", authority="91")

pytestmark = pytest.mark.django_db


def _make_unit(world: World, division: Any) -> Unit:
    return Unit.all_objects.create(name=f"单位-{division.code}", unit_type="other", division=division)


class TestGetUnit(ScopedEndpointSuite):
    allowed_role = Role.HANDLER
    forbidden_role = Role.VOLUNTEER  # sees divisions, not units

    def make_object(self, world: World, division: Any) -> models.Model:
        return _make_unit(world, division)

    def url(self, obj: models.Model) -> str:
        return f"/api/v1/units/{obj.pk}"


class TestPatchUnit(ScopedEndpointSuite):
    method = "patch"
    allowed_role = Role.PLATFORM_ADMIN
    forbidden_role = Role.LEADER  # sees units, may not change them
    watched_models = (Unit,)

    def make_object(self, world: World, division: Any) -> models.Model:
        return _make_unit(world, division)

    def url(self, obj: models.Model) -> str:
        return f"/api/v1/units/{obj.pk}"

    def payload(self, obj: models.Model) -> dict[str, Any]:
        return {"contact_phone": "024-86000000"}


class TestGetDivision(ScopedEndpointSuite):
    allowed_role = Role.VOLUNTEER
    forbidden_role = NO_PERMISSIONS

    def make_object(self, world: World, division: Any) -> models.Model:
        return division

    def url(self, obj: models.Model) -> str:
        return f"/api/v1/divisions/{obj.pk}"


# --- divisions ---------------------------------------------------------------------------------------------


def _get(client: Client, url: str, **params: Any) -> tuple[int, Any]:
    response = client.get(url, params)
    return response.status_code, response.json()


def test_division_list_starts_at_the_users_grant(world: World, client: Client) -> None:
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    status, body = _get(client, "/api/v1/divisions")
    assert status == 200
    assert [d["code"] for d in body] == [world.home.code]
    assert body[0]["level"] == 6
    assert body[0]["parent"] == "210100000000"


def test_nationwide_division_list_starts_at_provinces(world: World, client: Client) -> None:
    client.force_login(world.nationwide(Role.LEADER))
    _status, body = _get(client, "/api/v1/divisions")
    assert {d["code"] for d in body} == {"210000000000", "450000000000"}


def test_division_children_by_parent_code_or_prefix(world: World, client: Client) -> None:
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    for parent in (world.home.code, "210105"):
        status, body = _get(client, "/api/v1/divisions", parent=parent)
        assert status == 200
        assert [d["code"] for d in body] == [world.home_street.code]


def test_division_children_outside_the_grant_are_404(world: World, client: Client) -> None:
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    for parent in (world.away.code, "210100000000", "not-a-code"):
        status, body = _get(client, "/api/v1/divisions", parent=parent)
        assert status == 404
        assert body["code"] == "not_found"


def test_a_division_by_prefix(world: World, client: Client) -> None:
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    status, body = _get(client, "/api/v1/divisions/210105001")
    assert status == 200
    assert body["name"] == "测试街道"


# --- unit list ---------------------------------------------------------------------------------------------
def test_unit_list_is_scoped_and_paginated(world: World, client: Client) -> None:
    for n in range(3):
        Unit.all_objects.create(name=f"街道单位{n}", unit_type="street_office", division=world.home_street)
    client.force_login(world.user(Role.LEADER, world.home))
    status, body = _get(client, "/api/v1/units", page_size=2, ordering="name")
    assert status == 200
    assert body["count"] == 4  # the home county's unit and the three street units; nothing from 青秀区
    assert body["page_size"] == 2
    assert len(body["items"]) == 2
    _status, page2 = _get(client, "/api/v1/units", page_size=2, page=2, ordering="name")
    names = {u["name"] for u in body["items"] + page2["items"]}
    assert "青秀区社会工作部" not in names
    assert len(names) == 4


def test_unit_list_filters(world: World, client: Client) -> None:
    Unit.all_objects.create(
        name="顺丰速运测试营业部",
        unit_type="platform_enterprise",
        division=world.home_street,
        uscc=VALID_USCC,
    )
    client.force_login(world.nationwide(Role.LEADER))

    def names(**params: Any) -> set[str]:
        status, body = _get(client, "/api/v1/units", **params)
        assert status == 200, body
        return {u["name"] for u in body["items"]}

    assert names(q="顺丰") == {"顺丰速运测试营业部"}
    assert names(q=VALID_USCC.lower()) == {"顺丰速运测试营业部"}
    assert names(unit_type="social_work_dept") == {"皇姑区社会工作部", "青秀区社会工作部"}
    assert names(division="450103") == {"青秀区社会工作部"}
    assert names(division="210105001") == {"顺丰速运测试营业部"}


def test_unit_list_rejects_bad_filters_with_the_envelope(world: World, client: Client) -> None:
    client.force_login(world.user(Role.LEADER, world.home))
    status, body = _get(client, "/api/v1/units", division="12345")
    assert status == 422
    assert "division" in body["details"]["fields"]
    status, body = _get(client, "/api/v1/units", division="２１０１")  # full-width digits are not a code
    assert status == 422
    assert "division" in body["details"]["fields"]
    status, body = _get(client, "/api/v1/units", ordering="password")
    assert status == 422
    status, body = _get(client, "/api/v1/units", page=0)
    assert status == 400


def test_unit_list_needs_unit_view(world: World, client: Client) -> None:
    client.force_login(world.user(Role.VOLUNTEER, world.home))
    status, body = _get(client, "/api/v1/units")
    assert status == 403
    assert body["code"] == "forbidden"


# --- create ------------------------------------------------------------------------------------------------
def _post(client: Client, body: dict[str, Any], **headers: str) -> tuple[int, Any]:
    response = client.post(
        "/api/v1/units", json.dumps(body), content_type="application/json", headers=headers
    )
    return response.status_code, response.json()


def test_create_unit(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    status, body = _post(
        client,
        {
            "name": "饿了么测试配送站",
            "unit_type": "platform_enterprise",
            "division": "210105001",
            "uscc": VALID_USCC,
            "parent": world.home_unit.pk,
        },
    )
    assert status == 201, body
    unit = Unit.all_objects.get(pk=body["id"])
    assert unit.division_id == "210105001000"
    assert unit.parent == world.home_unit
    assert body["division_name"] == "测试街道"


def test_create_with_a_bad_credit_code_is_422_on_the_field(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    before = Unit.all_objects.count()
    status, body = _post(
        client, {"name": "坏代码", "unit_type": "social_work_org", "division": world.home.code, "uscc": "123"}
    )
    assert status == 422
    assert body["code"] == "invalid_input"
    assert "uscc" in body["details"]["fields"]
    assert Unit.all_objects.count() == before


def test_create_in_an_unseen_division_does_not_reveal_it(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    before = (Unit.all_objects.count(), AuditEvent.objects.count())
    for code in (world.away.code, "999999000000"):
        status, body = _post(client, {"name": "越界", "unit_type": "other", "division": code})
        assert status == 422
        assert "division" in body["details"]["fields"]
    assert (Unit.all_objects.count(), AuditEvent.objects.count()) == before


def test_create_needs_unit_manage(world: World, client: Client) -> None:
    client.force_login(world.user(Role.LEADER, world.home))
    status, _body = _post(client, {"name": "领导建", "unit_type": "other", "division": world.home.code})
    assert status == 403
    assert not Unit.all_objects.filter(name="领导建").exists()


def test_create_with_idempotency_key_runs_once(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    payload = {"name": "重试单位", "unit_type": "other", "division": world.home.code}
    first = _post(client, payload, **{"Idempotency-Key": "abc-1"})
    second = _post(client, payload, **{"Idempotency-Key": "abc-1"})
    assert first[0] == second[0] == 201
    assert first[1]["id"] == second[1]["id"]
    assert Unit.all_objects.filter(name="重试单位").count() == 1
    status, _body = _post(client, {**payload, "name": "另一个"}, **{"Idempotency-Key": "abc-1"})
    assert status == 422


def test_create_with_a_malformed_body_is_400(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    status, body = _post(client, {"name": "缺类型", "division": world.home.code})
    assert status == 400
    assert body["code"] == "invalid_input"


# --- update ------------------------------------------------------------------------------------------------
def _patch(client: Client, unit: Unit, body: dict[str, Any]) -> tuple[int, Any]:
    response = client.patch(f"/api/v1/units/{unit.pk}", json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_patch_changes_only_the_fields_sent(world: World, client: Client) -> None:
    child = Unit.all_objects.create(
        name="下属", unit_type="other", division=world.home_street, parent=world.home_unit
    )
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    status, body = _patch(client, child, {"name": "下属改名"})
    assert status == 200, body
    child.refresh_from_db()
    assert (child.name, child.parent_id) == ("下属改名", world.home_unit.pk)

    status, body = _patch(client, child, {"parent": None})
    assert status == 200
    child.refresh_from_db()
    assert child.parent_id is None


def test_patch_out_of_scope_changes_nothing(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    status, _body = _patch(client, world.away_unit, {"name": "被改"})
    assert status == 404
    world.away_unit.refresh_from_db()
    assert world.away_unit.name == "青秀区社会工作部"


def test_patch_to_a_duplicate_name_is_422(world: World, client: Client) -> None:
    other = Unit.all_objects.create(name="另一个", unit_type="other", division=world.home)
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    status, body = _patch(client, other, {"name": world.home_unit.name})
    assert status == 422
    assert body["code"] == "invalid_input"
    other.refresh_from_db()
    assert other.name == "另一个"
    assert not AuditEvent.objects.exists()


def test_deactivate_endpoint(world: World, client: Client) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN, world.home))
    response = client.post(f"/api/v1/units/{world.home_unit.pk}/deactivate")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    world.home_unit.refresh_from_db()
    assert world.home_unit.is_active is False
