"""Every read and action of /api/v1/appeals through the scoped-endpoint suite: in scope 200, out of scope
404, not permitted 403, anonymous 401, and nothing written on a refusal."""

from __future__ import annotations

from typing import Any, ClassVar

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal
from tests.appeals.test_api_support import BASE, AppealSuite, appeal_in, unit_for
from tests.support.world import World


class TestRead(AppealSuite):
    pass


class TestTimeline(AppealSuite):
    def url(self, obj: Any) -> str:
        return f"{BASE}/{obj.tracking_no}/timeline"


class TestList(AppealSuite):
    """The list filtered to the appeal's division: a division outside the caller's jurisdiction is 404."""

    def url(self, obj: Any) -> str:
        return BASE

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"division": obj.division_id}


class ActionSuite(AppealSuite):
    method = "post"
    action: ClassVar[str]
    body: ClassVar[dict[str, Any]] = {}
    forbidden_role = Role.LEADER  # sees the appeal, may not do this

    def url(self, obj: Any) -> str:
        return f"{BASE}/{obj.tracking_no}/actions/{self.action}"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {**self.body, "version": obj.version}


class TestAccept(ActionSuite):
    action = "accept"


class TestReject(ActionSuite):
    action = "reject"
    body = {"reason": "与新就业群体无关"}


class TestDispatch(ActionSuite):
    action = "dispatch"
    state = State.ACCEPTED

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"unit": unit_for(self.world, obj.division).pk, "version": obj.version}


class TestReturn(ActionSuite):
    action = "return"
    state = State.DISPATCHED
    allowed_role = Role.HANDLER
    body = {"reason": "wrong_place"}


class TestSignFor(ActionSuite):
    action = "sign-for"
    state = State.DISPATCHED
    allowed_role = Role.HANDLER


class TestContact(ActionSuite):
    action = "contact"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    body = {"note": "电话联系了劳动者"}


class TestReply(ActionSuite):
    action = "reply"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    body = {"text": "已督促站点结清配送费。", "resolved": True}


class TestExtension(ActionSuite):
    action = "extension"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    body = {"days": 3, "reason": "需要劳动监察部门协同"}


class TestExtensionDecision(ActionSuite):
    action = "extension-decision"
    state = State.IN_PROGRESS
    allowed_role = Role.LEADER
    forbidden_role = Role.INTAKE
    body = {"approve": True, "note": "同意"}

    def make_object(self, world: World, division: Any) -> Appeal:
        appeal = super().make_object(world, division)
        unit = unit_for(world, division)
        handler = world.user(Role.HANDLER, unit.division, unit=unit)
        s.appeal_request_extension(appeal=appeal, actor=handler, days=3, reason="需要协同")
        return Appeal.all_objects.get(pk=appeal.pk)


class TestSupervise(ActionSuite):
    action = "supervise"
    state = State.IN_PROGRESS
    allowed_role = Role.LEADER
    forbidden_role = Role.INTAKE
    body = {"note": "请两个工作日内答复劳动者"}


class TestMerge(ActionSuite):
    action = "merge"

    def make_object(self, world: World, division: Any) -> Appeal:
        self.original = appeal_in(world, division, State.SUBMITTED)
        return super().make_object(world, division)

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"into": self.original.tracking_no, "version": obj.version}


class TestWithdraw(ActionSuite):
    action = "withdraw"
    body = {"reason": "劳动者来电撤回"}


class TestRate(ActionSuite):
    action = "rate"
    state = State.REPLIED
    body = {"resolved": True, "satisfaction": "satisfied", "comment": "来电回访"}
