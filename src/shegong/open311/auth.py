"""Open311 `api_key`: the raw value of an `accounts.ApiToken` (only its hash is stored), the same token a
platform enterprise's system sends as `Authorization: Bearer` to /api/v1. Keys are created, listed and
revoked by `keys.py` (`shegong open311 key …`)."""

from __future__ import annotations

from django.utils import timezone

from shegong.accounts.models import ApiToken, User
from shegong.core.api import TOKEN_USE_RESOLUTION, token_hash

# Longer than any token we issue; a megabyte "key" is refused before it is hashed.
MAX_KEY_LENGTH = 200


def account_for_api_key(raw: str | None) -> User | None:
    """The active account whose token `raw` is, or None when the key is missing, unknown, revoked, expired
    or its account is disabled."""
    raw = (raw or "").strip()
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    now = timezone.now()
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_RESOLUTION:
        # a write per call would lock the token's row on every request; a minute's resolution is enough
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
