"""Excluding appeals from the rates and lifting exclusions: permission, audit, conflicts."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from shegong.accounts.choices import Role
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import State
from shegong.appeals.indicators.services import exclusion_add, exclusion_lift
from shegong.appeals.models import RateExclusion
from shegong.appeals.services import AppealConflict
from shegong.core.models import AuditEvent
from tests.appeals.conftest import Actors

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return RateExclusion.objects.count(), AuditEvent.objects.count()


def test_exclusion_is_stored_and_audited_without_touching_the_appeal(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    version = appeal.version
    exclusion = exclusion_add(appeal=appeal, actor=actors.leader, reason="  同一人重复诉求二十次  ")
    assert exclusion.reason == "同一人重复诉求二十次"
    assert exclusion.by == actors.leader
    event = AuditEvent.objects.get(action=AppealsAction.EXCLUDED)
    assert event.actor == actors.leader
    assert event.target_id == str(appeal.pk)
    assert event.division_code == appeal.division_id
    assert event.changes["reason"] == "同一人重复诉求二十次"
    appeal.refresh_from_db()
    assert appeal.version == version  # nobody's open action form turns stale


def test_an_appeal_is_excluded_once(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    exclusion_add(appeal=appeal, actor=actors.leader, reason="无理诉求")
    before = counts()
    with pytest.raises(AppealConflict):
        exclusion_add(appeal=appeal, actor=actors.leader, reason="再次剔除")
    assert counts() == before


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_a_reason_is_required_and_bounded(actors: Actors, reason: str) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    before = counts()
    with pytest.raises(ValidationError) as info:
        exclusion_add(appeal=appeal, actor=actors.leader, reason=reason)
    assert "reason" in info.value.message_dict
    assert counts() == before


def test_only_the_exclude_permission_over_the_division_may_exclude(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    before = counts()
    for user in (actors.intake, actors.handler, actors.world.user(Role.LEADER, actors.world.away), None):
        with pytest.raises(PermissionDenied):
            exclusion_add(appeal=appeal, actor=user, reason="无理诉求")
    assert counts() == before


def test_lifting_deletes_the_exclusion_and_keeps_its_story_in_the_audit_log(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    exclusion = exclusion_add(appeal=appeal, actor=actors.leader, reason="无理诉求")
    other_leader = actors.world.user(Role.LEADER, actors.world.home_street)
    exclusion_lift(exclusion=exclusion, actor=other_leader, reason="复核后属于合理诉求")
    assert not RateExclusion.objects.filter(appeal=appeal).exists()
    event = AuditEvent.objects.get(action=AppealsAction.EXCLUSION_LIFTED)
    assert event.actor == other_leader
    assert event.target_id == str(appeal.pk)
    assert event.changes["reason"] == "复核后属于合理诉求"
    assert event.changes["excluded"]["reason"] == "无理诉求"
    assert event.changes["excluded"]["by"] == actors.leader.get_username()

    before = counts()
    with pytest.raises(AppealConflict):
        exclusion_lift(exclusion=exclusion, actor=actors.leader, reason="再次撤销")
    assert counts() == before


def test_lifting_needs_the_permission_and_a_reason(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    exclusion = exclusion_add(appeal=appeal, actor=actors.leader, reason="无理诉求")
    before = counts()
    with pytest.raises(PermissionDenied):
        exclusion_lift(exclusion=exclusion, actor=actors.intake, reason="撤销")
    with pytest.raises(ValidationError):
        exclusion_lift(exclusion=exclusion, actor=actors.leader, reason=" ")
    assert counts() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_reviewers_exclude_at_once_and_one_wins(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    second = actors.world.user(Role.LEADER, actors.world.home)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int, user: Any) -> None:
        try:
            barrier.wait()
            results[i] = exclusion_add(appeal=appeal, actor=user, reason=f"无理诉求 {i}")
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate((actors.leader, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, RateExclusion) for r in results) == 1, results
    assert sum(isinstance(r, AppealConflict) for r in results) == 1, results
    assert AuditEvent.objects.filter(action=AppealsAction.EXCLUDED).count() == 1
