"""Helpers of the Open311 endpoint tests: keys made directly (account + grant + hashed token), a filing body,
and parsers that insist on the spec's document shape."""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken, User
from shegong.core.api import token_hash
from shegong.divisions.models import Division, Unit
from tests.support.world import World

BASE = "/open311/v2"
PHONE = "13912345678"
TEXT = "站点拖欠我三个月的配送费，站长一直不接电话。"


def make_key(
    world: World,
    role: str = Role.PLATFORM_PARTNER,
    division: Division | None = None,
    unit: Unit | None = None,
    **token: Any,
) -> tuple[User, str]:
    """An account holding `role` at `division` (home by default) and the raw value of one of its tokens."""
    user = world.user(role, division or world.home, unit=unit)
    raw = "sg_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, name="open311 test", prefix=raw[:8], key_hash=token_hash(raw), **token)
    return user, raw


def body(key: str, world: World, **overrides: Any) -> dict[str, Any]:
    """A complete POST requests body filing in the home community."""
    values: dict[str, Any] = {
        "api_key": key,
        "service_code": "WAGE",
        "address_id": world.home_community.code,
        "address_string": "北陵大街 45 号 美团皇姑站",
        "description": TEXT,
        "phone": PHONE,
        "first_name": "张",
        "last_name": "三",
        "email": "rider@example.com",
        "attribute[worker_type]": "food_delivery",
        "attribute[appeal_type]": "complaint",
        "attribute[platform]": "美团",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def post(client: Any, fmt: str, data: dict[str, Any], **headers: Any) -> Any:
    # Django's test client encodes a dict as multipart unless told otherwise; the spec sends form-urlencoded
    from urllib.parse import urlencode

    return client.post(
        f"{BASE}/requests.{fmt}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers=headers,
    )


def xml_root(response: Any, root: str) -> ET.Element:
    """The parsed XML, after checking the declaration, the content type and the root element's name."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(response.content)  # noqa: S314 -- our own server's answer, in a test
    assert element.tag == root, element.tag
    return element


def json_body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def error_descriptions(response: Any, fmt: str) -> list[str]:
    """The spec's error list, checked for shape (each error's code is the HTTP status)."""
    if fmt == "json":
        errors = json_body(response)
        assert isinstance(errors, list)
        assert errors
        assert all(set(e) == {"code", "description"} and e["code"] == response.status_code for e in errors)
        return [e["description"] for e in errors]
    root = xml_root(response, "errors")
    assert [child.tag for child in root] == ["error"] * len(root)
    assert len(root) > 0
    for error in root:
        assert [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == str(response.status_code)
    return [error.findtext("description") or "" for error in root]


@pytest.fixture
def en(client: Client) -> Client:
    """A client whose pages and errors are in English (the catalogue is merged later)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
