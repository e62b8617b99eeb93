"""The database-backed fixed-window rate limiter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shegong.core import ratelimit
from shegong.core.models import RateCounter

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
WINDOW = 600
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SH)  # a window boundary (600 s divides the epoch offset)


def test_the_limit_allows_then_refuses() -> None:
    results = [ratelimit.hit("login-ip:10.0.0.1", limit=3, window=WINDOW, now=START) for _ in range(4)]
    assert [result.allowed for result in results] == [True, True, True, False]
    assert [result.count for result in results] == [1, 2, 3, 4]
    assert ratelimit.peek("login-ip:10.0.0.1", window=WINDOW, now=START) == 4


def test_retry_after_counts_down_to_the_end_of_the_window() -> None:
    result = ratelimit.hit("k", limit=0, window=WINDOW, now=START + dt.timedelta(seconds=450))
    assert not result.allowed
    assert result.retry_after_seconds == 150


def test_the_next_window_starts_from_zero() -> None:
    for _ in range(3):
        ratelimit.hit("sms:138", limit=2, window=WINDOW, now=START + dt.timedelta(seconds=599))
    assert not ratelimit.hit("sms:138", limit=2, window=WINDOW, now=START + dt.timedelta(seconds=599)).allowed
    rolled = ratelimit.hit("sms:138", limit=2, window=WINDOW, now=START + dt.timedelta(seconds=600))
    assert rolled.allowed
    assert rolled.count == 1
    assert RateCounter.objects.filter(key="sms:138").count() == 2  # one row per window


def test_keys_are_counted_separately() -> None:
    for _ in range(2):
        ratelimit.hit("login-ip:10.0.0.1", limit=2, window=WINDOW, now=START)
    assert not ratelimit.hit("login-ip:10.0.0.1", limit=2, window=WINDOW, now=START).allowed
    other = ratelimit.hit("login-ip:10.0.0.2", limit=2, window=WINDOW, now=START)
    assert other.allowed
    assert other.count == 1


def test_reset_forgets_a_key_only() -> None:
    ratelimit.hit("a", limit=1, window=WINDOW, now=START)
    ratelimit.hit("b", limit=1, window=WINDOW, now=START)
    ratelimit.reset("a")
    assert ratelimit.peek("a", window=WINDOW, now=START) == 0
    assert ratelimit.peek("b", window=WINDOW, now=START) == 1


def test_purge_older_than_deletes_old_windows_only() -> None:
    ratelimit.hit("k", limit=5, window=WINDOW, now=START - dt.timedelta(days=2))
    ratelimit.hit("k", limit=5, window=WINDOW, now=START)
    assert ratelimit.purge_older_than(START - dt.timedelta(days=1)) == 1
    assert ratelimit.peek("k", window=WINDOW, now=START) == 1
