"""Fixed-window rate limits shared by every process through the database (no Redis needed).

`hit("login-ip:1.2.3.4", limit=30, window=600)` counts one event and says whether it is still within
the limit. The counter row is created or incremented with a single UPDATE (atomic on both engines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shegong.core.models import RateCounter


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    count: int
    retry_after_seconds: int


def _window_start(now: datetime, window: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window, tz=now.tzinfo)


def hit(key: str, *, limit: int, window: int, now: datetime | None = None) -> RateResult:
    """Count one event for `key` in the current window of `window` seconds."""
    now = now or timezone.now()
    start = _window_start(now, window)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:  # another process created it first
                RateCounter.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
        count = RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True).get()
    retry = int((start + timedelta(seconds=window) - now).total_seconds())
    return RateResult(allowed=count <= limit, count=count, retry_after_seconds=max(retry, 1))


def peek(key: str, *, window: int, now: datetime | None = None) -> int:
    """The count so far in the current window, without counting."""
    now = now or timezone.now()
    row = RateCounter.objects.filter(key=key, window_start=_window_start(now, window)).first()
    return row.count if row else 0


def reset(key: str) -> None:
    RateCounter.objects.filter(key=key).delete()


def purge_older_than(cutoff: datetime) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=cutoff).delete()
    return deleted
