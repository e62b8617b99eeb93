"""On PostgreSQL, through HTTP: two retries of one filing arriving at once file one appeal, and both get the
same answer; two staff acting at once: one 200, one 409."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, AppealEvent
from tests.appeals.test_api_support import BASE, appeal_in, bearer, new_body, partner, post, token_for
from tests.support.world import World

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_retries_file_once(world: World) -> None:
    _, raw = partner(world)
    body = new_body(world)

    def file() -> Any:
        return post(Client(), BASE, body, **bearer(raw), **{"Idempotency-Key": "same"})

    results = _race([file, file, file])
    assert [r.status_code for r in results] == [201, 201, 201], results
    assert len({r.json()["tracking_no"] for r in results}) == 1
    assert Appeal.all_objects.count() == 1


def test_two_dispatchers_at_once_one_conflict(world: World) -> None:
    appeal = appeal_in(world, world.home_street, State.ACCEPTED)
    tokens = [token_for(world.user(Role.INTAKE)) for _ in range(2)]
    url = f"{BASE}/{appeal.tracking_no}/actions/dispatch"

    def dispatch(raw: str) -> Callable[[], Any]:
        return lambda: post(
            Client(), url, {"unit": world.home_unit.pk, "version": appeal.version}, **bearer(raw)
        )

    results = _race([dispatch(t) for t in tokens])
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    assert AppealEvent.objects.filter(appeal=appeal, action="dispatch").count() == 1
