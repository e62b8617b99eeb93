"""Bearer-token authentication in the API layer: expiry, revocation, and a bounded last-used write."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from shegong.accounts import services
from shegong.accounts.choices import Role
from shegong.accounts.models import ApiToken
from tests.support.world import World

pytestmark = pytest.mark.django_db


def _me(client: Client, raw: str) -> int:
    return client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def test_token_use_is_recorded_at_most_once_a_minute(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    token, raw = services.api_token_create(user=user, name="热线系统", actor=None)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _me(client, raw) == 200
        first = ApiToken.objects.get(pk=token.pk).last_used_at
        assert first == start
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        assert _me(client, raw) == 200
        assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        assert _me(client, raw) == 200
        assert ApiToken.objects.get(pk=token.pk).last_used_at == start + dt.timedelta(minutes=2)


def test_expired_revoked_and_unknown_tokens_are_401(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    _expired, raw_expired = services.api_token_create(
        user=user, name="旧系统", actor=None, expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    revoked, raw_revoked = services.api_token_create(user=user, name="停用系统", actor=None)
    services.api_token_revoke(token=revoked, actor=None)
    assert _me(client, raw_expired) == 401
    assert _me(client, raw_revoked) == 401
    assert _me(client, "sg_not-a-token") == 401
