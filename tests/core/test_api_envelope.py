"""Every API error comes back as {"code", "message", "details"} with a 4xx status, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shegong.accounts.choices import Role
from tests.support.world import World

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.envelope_urls")]


def _post(client: Client, body: str | bytes) -> tuple[int, dict]:
    response = client.post("/api/t/things", body, content_type="application/json")
    return response.status_code, response.json()


def _assert_envelope(body: dict, code: str) -> None:
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]


def test_valid_request_passes(client: Client) -> None:
    status, body = _post(client, json.dumps({"name": "a", "size": 1}))
    assert status == 200
    assert body == {"name": "a", "size": 1}


@pytest.mark.parametrize("raw", ["{not json", "[1, 2", "\x00", '"just a string"', "[]"])
def test_malformed_json_is_400(client: Client, raw: str) -> None:
    status, body = _post(client, raw)
    assert status == 400
    _assert_envelope(body, "malformed_body")


def test_wrong_types_are_400_with_field_errors(client: Client) -> None:
    status, body = _post(client, json.dumps({"name": "a", "size": "big"}))
    assert status == 400
    _assert_envelope(body, "invalid_input")
    assert any(err["loc"][-1] == "size" for err in body["details"]["errors"])


def test_missing_field_is_400(client: Client) -> None:
    status, body = _post(client, json.dumps({"name": "a"}))
    assert status == 400
    _assert_envelope(body, "invalid_input")


def test_service_validation_error_is_422(client: Client) -> None:
    status, body = _post(client, json.dumps({"name": "a", "size": -1}))
    assert status == 422
    assert body["details"]["fields"] == {"size": ["must not be negative"]}


def test_oversized_body_is_413(client: Client) -> None:
    big = json.dumps({"name": "x" * (1024 * 1024 + 10), "size": 1})
    status, body = _post(client, big)
    assert status == 413
    _assert_envelope(body, "payload_too_large")


def test_not_found_and_forbidden_use_the_envelope(client: Client) -> None:
    r404 = client.get("/api/t/missing")
    assert r404.status_code == 404
    _assert_envelope(r404.json(), "not_found")
    r403 = client.get("/api/t/forbidden")
    assert r403.status_code == 403
    _assert_envelope(r403.json(), "forbidden")


def test_unauthenticated_is_401(client: Client) -> None:
    response = client.get("/api/t/private")
    assert response.status_code == 401
    _assert_envelope(response.json(), "unauthenticated")


def test_messages_are_chinese_by_default(client: Client) -> None:
    response = client.get("/api/t/missing")
    message = response.json()["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


@pytest.mark.urls("shegong.config.urls")
def test_an_absurd_page_number_is_400_not_500(client: Client, world: World) -> None:
    client.force_login(world.user(Role.PLATFORM_ADMIN))
    response = client.get("/api/v1/units", {"page": 4611686018427387904})
    assert response.status_code == 400
    _assert_envelope(response.json(), "invalid_page")


def test_a_lost_race_is_409(client: Client) -> None:
    response = client.post("/api/t/conflict", "{}", content_type="application/json")
    assert response.status_code == 409
    _assert_envelope(response.json(), "conflict")
    assert response.json()["message"] == "someone else acted first"
