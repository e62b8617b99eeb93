"""Oversized and malformed bodies: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (forms, JSON) or
SHEGONG_UPLOAD_MAX_BYTES (multipart) is a 413 before anything reads it — a Chinese page on pages, the
error envelope on the API, the spec's error list on Open311 — and nothing is written. Too many form
fields, a body longer than it declares, a huge or deeply nested JSON document are 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client

from shegong.accounts.choices import Role
from tests.appeals.test_api_support import bearer, partner, token_for
from tests.security.input_support import worker_client
from tests.support.world import World

pytestmark = pytest.mark.django_db

BIG = 3 * 1024 * 1024  # over the 1 MB form/JSON limit


def _row_counts() -> dict[str, int]:
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("shegong.") or m._meta.app_label == "sessions"
    }


@pytest.fixture
def staff(world: World) -> Client:
    client = Client()
    client.force_login(world.user(Role.INTAKE))
    return client


# Pages that take a POST, by who posts there.
PAGES = [
    ("anonymous", "/h5/appeals/new/"),
    ("anonymous", "/h5/appeals/verify/"),
    ("anonymous", "/accounts/login/"),
    ("worker", "/h5/appeals/new/"),
    ("staff", "/desk/appeals/hotline/new/"),
    ("staff", "/accounts/password/"),
]


def _client(who: str, staff: Client) -> Client:
    return {"anonymous": Client(), "worker": worker_client(), "staff": staff}[who]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_an_oversized_form_to_a_page_is_a_chinese_413_page(who: str, path: str, staff: Client) -> None:
    client = _client(who, staff)
    before = _row_counts()
    response = client.post(path, "text=" + "x" * BIG, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    html = response.content.decode()
    assert "<html" in html
    assert "过大" in html or "太大" in html or "超过" in html, html[:500]  # the Chinese page, not a bare text
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert _row_counts() == before


@pytest.mark.parametrize(("who", "path"), PAGES[:2] + PAGES[4:5])
def test_an_oversized_upload_to_a_page_is_a_413_page(
    who: str, path: str, staff: Client, settings: Any
) -> None:
    settings.SHEGONG_UPLOAD_MAX_BYTES = 64 * 1024
    client = _client(who, staff)
    before = _row_counts()
    boundary = "zzz"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff" * (128 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.generic("POST", path, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "<html" in response.content.decode()
    assert _row_counts() == before


def test_an_oversized_json_body_to_the_api_is_a_413_envelope(world: World) -> None:
    _user, raw = partner(world)
    client = Client()
    before = _row_counts()
    body = json.dumps({"text": "x" * BIG, "division": world.home_community.code})
    response = client.post("/api/v1/appeals", body, content_type="application/json", **bearer(raw))
    assert response.status_code == 413
    envelope = response.json()
    assert envelope["code"] == "payload_too_large"
    assert envelope["details"]["limit_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert _row_counts() == before


def test_an_oversized_photo_to_the_api_is_a_413_envelope(world: World, settings: Any) -> None:
    settings.SHEGONG_UPLOAD_MAX_BYTES = 64 * 1024
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    auth = bearer(token_for(handler))
    boundary = "zzz"
    body = (
        (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n').encode()
        + b"\xff" * (128 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    before = _row_counts()
    response = Client().generic(
        "POST",
        "/api/v1/appeals/AAA-AAA-AAA/attachments",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **auth,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert _row_counts() == before


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_oversized_open311_post_is_a_413_in_its_format(fmt: str) -> None:
    before = _row_counts()
    response = Client().post(
        f"/open311/v2/requests.{fmt}",
        "description=" + "x" * BIG,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert fmt in response["Content-Type"]
    assert _row_counts() == before


# --- malformed but small -----------------------------------------------------------------------------------


def test_too_many_form_fields_is_a_400_page_not_a_500(staff: Client) -> None:
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))
    before = _row_counts()
    for client, path in ((Client(), "/h5/appeals/new/"), (staff, "/desk/appeals/hotline/new/")):
        response = client.post(path, fields, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400, (path, response.status_code)
        assert "<html" in response.content.decode()
    assert _row_counts() == before


def test_too_many_form_fields_to_open311_is_a_400(world: World) -> None:
    fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10))
    response = Client().post(
        "/open311/v2/requests.json", fields, content_type="application/x-www-form-urlencoded"
    )
    assert 400 <= response.status_code < 500


def test_a_body_longer_than_it_declares_is_read_only_as_far_as_declared(world: World) -> None:
    """A Content-Length under the limit with a longer body behind it: the extra bytes are never read."""
    _user, raw = partner(world)
    before = _row_counts()
    body = b'{"text": "' + b"x" * BIG + b'"}'
    response = Client().generic(
        "POST", "/api/v1/appeals", body, content_type="application/json", CONTENT_LENGTH="100", **bearer(raw)
    )
    assert 400 <= response.status_code < 500
    assert _row_counts() == before


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # nesting deeper than any parser's recursion
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        json.dumps(list(range(150_000))),  # a huge array where an object is expected
        json.dumps({"text": ["x"] * 100_000}),
        '{"text": "unterminated',
        "\ufeff{}",
        "",
    ],
    ids=["deep array", "deep object", "huge array", "huge list field", "broken", "bom", "empty"],
)
def test_huge_or_hostile_json_to_the_api_is_a_4xx_envelope(world: World, body: str) -> None:
    _user, raw = partner(world)
    before = _row_counts()
    response = Client().post("/api/v1/appeals", body, content_type="application/json", **bearer(raw))
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    assert set(response.json()) >= {"code", "message"}
    assert _row_counts() == before
