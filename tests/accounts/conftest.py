from __future__ import annotations

from typing import Any

from django.test import Client

LOGIN_URL = "/accounts/login/"


def post_login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)
