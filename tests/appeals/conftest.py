"""Appeals test helpers: the actors of one jurisdiction and a builder that drives an appeal to any state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, State, WorkerType
from shegong.appeals.models import Appeal
from tests.support.world import World

PHONE = "13800138000"


@dataclass
class Actors:
    world: World
    intake: User
    handler: User
    leader: User
    target: Appeal | None = None

    def submit(self, **overrides: Any) -> Appeal:
        fields: dict[str, Any] = {
            "text": "站点拖欠我三个月的配送费，站长一直不接电话。",
            "division": self.world.home_community,
            "phone": PHONE,
            "appeal_type": AppealType.COMPLAINT,
            "worker_type": WorkerType.FOOD_DELIVERY,
            "channel": Channel.H5,
            "platform": "美团",
        }
        fields.update(overrides)
        return s.appeal_submit(**fields)

    def appeal_in(self, state: str, **overrides: Any) -> Appeal:
        """A new appeal driven along the main line (or a side exit) to `state`."""
        appeal = self.submit(**overrides)
        if state == State.SUBMITTED:
            return appeal
        if state == State.REJECTED:
            return s.appeal_reject(appeal=appeal, actor=self.intake, reason="与新就业群体无关")
        if state == State.MERGED:
            original = self.submit()
            return s.appeal_merge(appeal=appeal, into=original, actor=self.intake)
        appeal = s.appeal_accept(appeal=appeal, actor=self.intake)
        if state == State.ACCEPTED:
            return appeal
        appeal = s.appeal_dispatch(appeal=appeal, actor=self.intake, unit=self.world.home_unit)
        if state == State.DISPATCHED:
            return appeal
        appeal = s.appeal_sign_for(appeal=appeal, actor=self.handler)
        if state == State.IN_PROGRESS:
            return appeal
        if state == State.WITHDRAWN:
            return s.appeal_withdraw(appeal=appeal, reason="已经自行解决")
        appeal = s.appeal_reply(appeal=appeal, actor=self.handler, text="已联系站点，配送费本周内结清。")
        if state == State.REPLIED:
            return appeal
        if state == State.CLOSED:
            return s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)
        raise AssertionError(state)


@pytest.fixture
def actors(world: World) -> Actors:
    return Actors(
        world=world,
        intake=world.user(Role.INTAKE),
        handler=world.user(Role.HANDLER, world.home, unit=world.home_unit),
        leader=world.user(Role.LEADER),
    )
