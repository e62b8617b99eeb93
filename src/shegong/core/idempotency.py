"""Idempotency keys for POST endpoints (Stripe / IETF draft semantics).

Same key + same body → the first response, replayed. Same key + different body → IdempotencyConflict
(422). The key row is written in the same transaction as the effect, so a crash leaves either both or
neither; two concurrent requests with one key race on the unique constraint and the loser replays the
winner's stored response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shegong.core.models import IdempotencyKey

MAX_KEY_LENGTH = 200


class IdempotencyConflict(Exception):
    """The key was used before with a different request body."""


class IdempotencyKeyInvalid(ValueError):
    """The key is empty, too long or not printable ASCII."""


@dataclass(frozen=True)
class IdempotentResult:
    status_code: int
    body: Any
    replayed: bool


def request_fingerprint(payload: Any) -> str:
    """A stable hash of the request body (JSON-canonical: key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise IdempotencyKeyInvalid(_("Idempotency-Key must be 1 to 200 printable ASCII characters."))
    return key


def run_idempotent(
    *, scope: str, key: str, payload: Any, effect: Callable[[], tuple[int, Any]]
) -> IdempotentResult:
    """Run `effect` once per (scope, key); `effect` returns (status_code, JSON-serialisable body)."""
    key = validate_key(key)
    fingerprint = request_fingerprint(payload)
    stored = _lookup(scope, key, fingerprint)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            status_code, body = effect()
            if status_code < 500:
                IdempotencyKey.objects.create(
                    scope=scope, key=key, request_hash=fingerprint, status_code=status_code, response=body
                )
    except IntegrityError:
        # A concurrent request with the same key committed first; its effect stands, ours rolled back.
        stored = _lookup(scope, key, fingerprint)
        if stored is None:
            raise
        return stored
    return IdempotentResult(status_code=status_code, body=body, replayed=False)


def _lookup(scope: str, key: str, fingerprint: str) -> IdempotentResult | None:
    # Every create pays for this read (the key is almost always new): three columns, no model instance.
    row = (
        IdempotencyKey.objects.filter(scope=scope, key=key)
        .values_list("request_hash", "status_code", "response")
        .first()
    )
    if row is None:
        return None
    request_hash, status_code, response = row
    if request_hash != fingerprint:
        raise IdempotencyConflict(key)
    return IdempotentResult(status_code=status_code, body=response, replayed=True)
