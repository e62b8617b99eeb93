"""Chinese by default whatever the browser asks for; English only when the user chooses it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese(client: Client) -> None:
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "社工服务平台" in body


def test_choosing_english_switches_the_pages_and_back(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Social Work Service Platform" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "社工服务平台" in client.get("/").content.decode()


def test_an_unknown_language_cookie_falls_back_to_chinese(client: Client) -> None:
    client.cookies["django_language"] = "xx"
    assert "社工服务平台" in client.get("/").content.decode()


def test_api_errors_are_chinese_for_an_english_browser(client: Client) -> None:
    response = client.get("/api/v1/accounts/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
