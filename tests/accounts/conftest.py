from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # Production PBKDF2 costs ~0.3 s a hash; these tests log in dozens of times. The policy under test
    # (counting, locking, sessions) does not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Pages render {% static %}; tests run without collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def post_login(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)
