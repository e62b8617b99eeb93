"""Two people act on one appeal at the same moment on PostgreSQL, each on their own connection: exactly one
wins, the other gets the conflict error."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, AppealEvent
from tests.appeals.conftest import Actors

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _race(calls: list[Any]) -> list[Any]:
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


def test_two_handlers_sign_for_at_once(actors: Actors) -> None:
    appeal = actors.appeal_in(State.DISPATCHED)
    second = actors.world.user(Role.HANDLER, actors.world.home, unit=actors.world.home_unit)
    results = _race(
        [
            lambda: s.appeal_sign_for(appeal=appeal, actor=actors.handler),
            lambda: s.appeal_sign_for(appeal=appeal, actor=second),
        ]
    )
    wins = [r for r in results if isinstance(r, Appeal)]
    conflicts = [r for r in results if isinstance(r, s.AppealConflict)]
    assert len(wins) == 1, results
    assert len(conflicts) == 1, results
    assert AppealEvent.objects.filter(appeal=appeal, action="sign_for").count() == 1
    assert Appeal.all_objects.get(pk=appeal.pk).state == State.IN_PROGRESS


def test_two_dispatchers_at_once(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED)
    second = actors.world.user(Role.INTAKE)
    results = _race(
        [
            lambda: s.appeal_reject(appeal=appeal, actor=actors.intake, reason="不属于受理范围"),
            lambda: s.appeal_dispatch(appeal=appeal, actor=second, unit=actors.world.home_unit),
        ]
    )
    assert sum(isinstance(r, Appeal) for r in results) == 1, results
    assert sum(isinstance(r, s.AppealConflict) for r in results) == 1, results
    assert AppealEvent.objects.filter(appeal=appeal).count() == 3  # submit, accept, the winner
