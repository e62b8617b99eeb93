"""The platform may dispatch by itself only when it says so (`system=True`); a caller that lost its user
(actor=None) is refused like any actor without the dispatch permission."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal
from shegong.core.models import AuditEvent
from tests.appeals.conftest import Actors


def test_actor_none_without_system_is_refused(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED)
    with pytest.raises(PermissionDenied):
        s.appeal_dispatch(appeal=appeal, actor=None, unit=actors.world.home_unit)
    assert Appeal.all_objects.get(pk=appeal.pk).state == State.ACCEPTED


def test_system_dispatch_is_recorded_as_the_system(actors: Actors) -> None:
    appeal = actors.appeal_in(State.ACCEPTED)
    appeal = s.appeal_dispatch(appeal=appeal, actor=None, system=True, unit=actors.world.home_unit)
    assert appeal.state == State.DISPATCHED
    assert appeal.unit_id == actors.world.home_unit.pk
    event = appeal.events.order_by("-pk").first()
    assert event is not None
    assert event.actor_id is None
    assert event.actor_label
    audit = AuditEvent.objects.filter(action="appeals.appeal.dispatched", target_id=str(appeal.pk)).get()
    assert audit.actor_id is None
