"""Idempotency keys: one effect per (scope, key), the first answer replayed, a reused key refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from shegong.core.idempotency import (
    IdempotencyConflict,
    IdempotencyKeyInvalid,
    IdempotentResult,
    request_fingerprint,
    run_idempotent,
)
from shegong.core.models import IdempotencyKey, RateCounter

SCOPE = "test:create:user-1"


class Effect:
    """A countable side effect that writes a row, like a service creating an appeal."""

    def __init__(self, status: int = 201, fail: bool = False) -> None:
        self.calls = 0
        self.status = status
        self.fail = fail

    def __call__(self) -> tuple[int, Any]:
        self.calls += 1
        row = RateCounter.objects.create(key=f"effect-{self.calls}", window_start=timezone.now())
        if self.fail:
            raise RuntimeError("the service failed after writing")
        return self.status, {"id": row.pk, "call": self.calls}


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_and_runs_once() -> None:
    effect = Effect()
    first = run_idempotent(scope=SCOPE, key="k-1", payload={"a": 1, "b": [1, 2]}, effect=effect)
    again = run_idempotent(scope=SCOPE, key="k-1", payload={"b": [1, 2], "a": 1}, effect=effect)  # key order
    assert first == IdempotentResult(
        status_code=201, body={"id": first.body["id"], "call": 1}, replayed=False
    )
    assert again == IdempotentResult(status_code=201, body=first.body, replayed=True)
    assert effect.calls == 1
    assert RateCounter.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_a_different_body_is_a_conflict() -> None:
    effect = Effect()
    run_idempotent(scope=SCOPE, key="k-2", payload={"a": 1}, effect=effect)
    with pytest.raises(IdempotencyConflict):
        run_idempotent(scope=SCOPE, key="k-2", payload={"a": 2}, effect=effect)
    assert effect.calls == 1


@pytest.mark.django_db
def test_keys_are_separate_per_scope() -> None:
    effect = Effect()
    run_idempotent(scope=SCOPE, key="k-3", payload={}, effect=effect)
    other = run_idempotent(scope="test:create:user-2", key="k-3", payload={}, effect=effect)
    assert other.replayed is False
    assert effect.calls == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "   ", "x" * 201, "ключ", "键", "a\nb", "tab\there"])
def test_invalid_keys_are_refused_before_anything_runs(key: str) -> None:
    effect = Effect()
    with pytest.raises(IdempotencyKeyInvalid):
        run_idempotent(scope=SCOPE, key=key, payload={}, effect=effect)
    assert effect.calls == 0
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_the_longest_valid_key_works() -> None:
    assert run_idempotent(scope=SCOPE, key="x" * 200, payload={}, effect=Effect()).status_code == 201


@pytest.mark.django_db
def test_a_failing_effect_stores_no_key_and_leaves_no_write() -> None:
    with pytest.raises(RuntimeError):
        run_idempotent(scope=SCOPE, key="k-4", payload={}, effect=Effect(fail=True))
    assert not IdempotencyKey.objects.exists()
    assert not RateCounter.objects.exists()
    retry = run_idempotent(scope=SCOPE, key="k-4", payload={}, effect=Effect())
    assert retry.replayed is False
    assert RateCounter.objects.count() == 1


@pytest.mark.django_db
def test_server_errors_are_not_remembered() -> None:
    effect = Effect(status=503)
    run_idempotent(scope=SCOPE, key="k-5", payload={}, effect=effect)
    run_idempotent(scope=SCOPE, key="k-5", payload={}, effect=effect)
    assert effect.calls == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_client_errors_are_remembered() -> None:
    effect = Effect(status=409)
    run_idempotent(scope=SCOPE, key="k-6", payload={}, effect=effect)
    assert run_idempotent(scope=SCOPE, key="k-6", payload={}, effect=effect).replayed is True
    assert effect.calls == 1


def test_the_fingerprint_ignores_key_order_and_spacing_only() -> None:
    assert request_fingerprint({"a": 1, "b": 2}) == request_fingerprint({"b": 2, "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": "1"})
    assert request_fingerprint({"name": "张三"}) != request_fingerprint({"name": "张四"})


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers at BEGIN (IMMEDIATE), so two transactions cannot overlap there",
)
# Committing test: the flush after it empties the tables; tests/conftest.py reseeds the calendar.
@pytest.mark.django_db(transaction=True)
def test_two_connections_racing_on_one_key_commit_one_effect() -> None:
    # Both requests pass the initial lookup and run their effect inside their own transaction before either
    # stores the key; the second insert of the key waits for the first commit and then loses the race.
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, IdempotentResult] = {}
    errors: list[BaseException] = []

    def request(name: str) -> None:
        def effect() -> tuple[int, Any]:
            row = RateCounter.objects.create(key=f"race-{name}", window_start=timezone.now())
            barrier.wait()
            return 201, {"id": row.pk, "by": name}

        try:
            results[name] = run_idempotent(scope=SCOPE, key="race", payload={"x": 1}, effect=effect)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert results["a"].body == results["b"].body
    assert sorted(r.replayed for r in results.values()) == [False, True]
    assert RateCounter.objects.filter(key__startswith="race-").count() == 1
    winner = RateCounter.objects.get(key__startswith="race-")
    assert results["a"].body == {"id": winner.pk, "by": winner.key.removeprefix("race-")}
    assert IdempotencyKey.objects.filter(scope=SCOPE, key="race").count() == 1
