"""Every action refused from every state the transition table does not allow, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from shegong.appeals import services as s
from shegong.appeals.choices import ReturnReason, Satisfaction, State
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.models import AuditEvent
from tests.appeals.conftest import Actors

pytestmark = pytest.mark.django_db

Call = Callable[[Actors, Appeal], Any]

# action → (the call, whether it is the responsible unit's action)
ACTIONS: dict[str, tuple[Call, bool]] = {
    "accept": (lambda a, ap: s.appeal_accept(appeal=ap, actor=a.intake), False),
    "reject": (lambda a, ap: s.appeal_reject(appeal=ap, actor=a.intake, reason="重复"), False),
    "dispatch": (lambda a, ap: s.appeal_dispatch(appeal=ap, actor=a.intake, unit=a.world.home_unit), False),
    "withdraw": (lambda a, ap: s.appeal_withdraw(appeal=ap), False),
    "merge": (lambda a, ap: s.appeal_merge(appeal=ap, into=a.target, actor=a.intake), False),
    "supervise": (lambda a, ap: s.appeal_supervise(appeal=ap, actor=a.leader, note="尽快办理"), False),
    "rate": (
        lambda a, ap: s.appeal_rate(appeal=ap, resolved=True, satisfaction=Satisfaction.SATISFIED),
        False,
    ),
    "close_unrated": (lambda a, ap: s.appeal_close_unrated(appeal=ap), False),
    "return": (
        lambda a, ap: s.appeal_return(appeal=ap, actor=a.handler, reason=ReturnReason.WRONG_PLACE),
        True,
    ),
    "sign_for": (lambda a, ap: s.appeal_sign_for(appeal=ap, actor=a.handler), True),
    "record_contact": (lambda a, ap: s.appeal_record_contact(appeal=ap, actor=a.handler), True),
    "reply": (lambda a, ap: s.appeal_reply(appeal=ap, actor=a.handler, text="已处理"), True),
    "request_extension": (
        lambda a, ap: s.appeal_request_extension(appeal=ap, actor=a.handler, days=3, reason="需要调查"),
        True,
    ),
}

REFUSED = [
    (action, state)
    for action in ACTIONS
    for state in State
    if action not in s.TRANSITIONS[state]
    # dispatch from dispatched is 转派 (allowed); the same unit again is a form error, tested elsewhere
]


@pytest.mark.parametrize(("action", "state"), REFUSED)
def test_refused(actors: Actors, action: str, state: State) -> None:
    appeal = actors.appeal_in(state)
    call, unit_action = ACTIONS[action]
    actors.target = actors.submit()  # an open appeal to merge into, written before counting
    events, audits, version = AppealEvent.objects.count(), AuditEvent.objects.count(), appeal.version
    # A unit's action on an appeal that is not (or no longer) with a unit is not theirs at all.
    expected = PermissionDenied if unit_action and appeal.unit_id is None else s.AppealConflict
    with pytest.raises(expected):
        call(actors, appeal)
    appeal.refresh_from_db()
    assert appeal.state == state
    assert appeal.version == version
    assert AppealEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits


def test_table_covers_every_state() -> None:
    assert set(s.TRANSITIONS) == set(State)
    assert all(not s.TRANSITIONS[st] for st in (State.CLOSED, State.REJECTED, State.MERGED, State.WITHDRAWN))


def test_conflict_message_names_the_current_state(actors: Actors) -> None:
    appeal = actors.appeal_in(State.CLOSED)
    with pytest.raises(s.AppealConflict) as exc:
        s.appeal_withdraw(appeal=appeal)
    assert str(State.CLOSED.label) in exc.value.messages[0]  # "已办结" in the default language
    assert exc.value.code == "conflict"


def test_stale_version_is_a_conflict(actors: Actors) -> None:
    appeal = actors.appeal_in(State.SUBMITTED)
    with pytest.raises(s.AppealConflict):
        s.appeal_accept(appeal=appeal, actor=actors.intake, version=appeal.version + 1)
    assert s.appeal_accept(appeal=appeal, actor=actors.intake, version=appeal.version).state == State.ACCEPTED
