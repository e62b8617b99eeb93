"""api_key lookup: the hashed ApiToken of an active account, refused when revoked, expired or disabled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from shegong.accounts.models import ApiToken
from shegong.open311.auth import account_for_api_key
from tests.open311.support import make_key
from tests.support.world import World

pytestmark = pytest.mark.django_db


def test_a_valid_key_names_its_account(world: World) -> None:
    user, raw = make_key(world)
    assert account_for_api_key(raw) == user
    assert account_for_api_key(f"  {raw}\n") == user


@pytest.mark.parametrize("raw", [None, "", "   ", "sg_not-a-key", "x" * 5000])
def test_missing_unknown_or_absurd_keys_name_nobody(world: World, raw: str | None) -> None:
    make_key(world)
    assert account_for_api_key(raw) is None


def test_revoked_expired_and_disabled_keys_are_refused(world: World) -> None:
    _, revoked = make_key(world, revoked_at=timezone.now())
    _, expired = make_key(world, expires_at=timezone.now() - dt.timedelta(seconds=1))
    user, disabled = make_key(world)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _, later = make_key(world, expires_at=timezone.now() + dt.timedelta(days=1))
    assert account_for_api_key(revoked) is None
    assert account_for_api_key(expired) is None
    assert account_for_api_key(disabled) is None
    assert account_for_api_key(later) is not None


def test_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    _, raw = make_key(world)
    row = ApiToken.objects.get()
    assert row.last_used_at is None
    account_for_api_key(raw)
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first is not None
    account_for_api_key(raw)
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    account_for_api_key(raw)
    latest = ApiToken.objects.get(pk=row.pk).last_used_at
    assert latest is not None
    assert latest >= first  # written again: the stored use was two minutes old
