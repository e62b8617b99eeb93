"""The scoped suite for every desk page and action: in scope 200 (or the redirect after an action), out of
scope 404 with nothing leaked, a role without the right 403, anonymous to the login page, and nothing
written on any refusal."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import Channel, State
from shegong.appeals.models import Appeal, AppealEvent, ExtensionRequest, ReturnRecord, Supervision
from shegong.core.models import IdempotencyKey
from tests.appeals.test_desk_support import drive, english, handler_of, unit_for
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World


class DeskSuite(ScopedEndpointSuite):
    """Desk pages: HTML, English, and a handler's grant names the home unit (as a real handler's does)."""

    is_api = False
    state: ClassVar[str] = State.SUBMITTED
    watched_models: ClassVar[tuple[type[models.Model], ...]] = (
        Appeal,
        AppealEvent,
        ReturnRecord,
        ExtensionRequest,
        Supervision,
        IdempotencyKey,
    )

    def overrides(self) -> dict[str, Any]:
        return {}

    def make_object(self, world: World, division: Any) -> models.Model:
        self.world = world
        return drive(world, division, self.state, **self.overrides())

    def login(self, client: Client, user: Any) -> Client:
        if user.grants.filter(role=Role.HANDLER).exists():
            user.grants.filter(role=Role.HANDLER).update(unit=self.world.home_unit)
            user.invalidate_grant_cache()
        client.force_login(user)
        return english(client)

    def marker(self, obj: models.Model) -> str:
        assert isinstance(obj, Appeal)
        return obj.tracking_no


# --- pages ---------------------------------------------------------------------------------------
class TestQueuePage(DeskSuite):
    """A division filter outside the user's area is a 404, like the division browser."""

    allowed_role = Role.INTAKE
    forbidden_role = Role.VOLUNTEER

    def url(self, obj: Any) -> str:
        return f"/desk/appeals/?queue=open&division={obj.division_id}"


class TestDetailPage(DeskSuite):
    allowed_role = Role.INTAKE
    forbidden_role = Role.VOLUNTEER

    def url(self, obj: Any) -> str:
        return f"/desk/appeals/{obj.tracking_no}/"


class TestDetailPageForHandler(TestDetailPage):
    state = State.DISPATCHED
    allowed_role = Role.HANDLER


class TestRevealPhone(TestDetailPage):
    method = "post"
    forbidden_role = Role.LEADER  # sees the appeal, may not see the phone in full

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reveal_field": "phone", "reason": "回访核实联系方式"}


class TestSupervisionPage(DeskSuite):
    state = State.IN_PROGRESS
    allowed_role = Role.LEADER
    forbidden_role = Role.INTAKE

    def make_object(self, world: World, division: Any) -> models.Model:
        appeal = super().make_object(world, division)
        s.appeal_supervise(appeal=appeal, actor=None, note="超期未答复")
        return appeal

    def url(self, obj: Any) -> str:
        return f"/desk/appeals/supervision/?division={obj.division_id}"


class TestHotlinePage(DeskSuite):
    """`?division=` preselects the caller's place; one outside the operator's area is a 404."""

    allowed_role = Role.INTAKE
    forbidden_role = Role.HANDLER

    def make_object(self, world: World, division: Any) -> models.Model:
        self.world = world
        return division

    def url(self, obj: Any) -> str:
        return f"/desk/appeals/hotline/new/?division={obj.pk}"

    def marker(self, obj: models.Model) -> str:
        return str(obj)


# --- actions -------------------------------------------------------------------------------------
class ActionSuite(DeskSuite):
    method = "post"
    success_status = 302
    slug: ClassVar[str]

    def url(self, obj: Any) -> str:
        return f"/desk/appeals/{obj.tracking_no}/actions/{self.slug}/"

    def fields(self, obj: Any) -> dict[str, Any]:
        return {}

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"version": obj.version, **self.fields(obj)}


class TestAccept(ActionSuite):
    slug = "accept"
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"category": "", "urgency": "normal"}


class TestReject(ActionSuite):
    slug = "reject"
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"reason": "与新就业群体无关"}


class TestDispatch(ActionSuite):
    slug = "dispatch"
    state = State.ACCEPTED
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"unit": unit_for(self.world, obj.division).pk, "note": ""}


class TestReturn(ActionSuite):
    slug = "return"
    state = State.DISPATCHED
    allowed_role = Role.HANDLER
    forbidden_role = Role.INTAKE

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"reason": "wrong_place", "note": ""}


class TestSignFor(ActionSuite):
    slug = "sign-for"
    state = State.DISPATCHED
    allowed_role = Role.HANDLER
    forbidden_role = Role.INTAKE


class TestContact(ActionSuite):
    slug = "contact"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"note": "电话联系，约定周三到站点核实"}


class TestReply(ActionSuite):
    slug = "reply"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    forbidden_role = Role.INTAKE

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"text": "站点已补发配送费。", "resolved": "yes"}


class TestRequestExtension(ActionSuite):
    slug = "request-extension"
    state = State.IN_PROGRESS
    allowed_role = Role.HANDLER
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"days": 3, "reason": "需协调平台总部"}


class TestDecideExtension(ActionSuite):
    slug = "decide-extension"
    state = State.IN_PROGRESS
    allowed_role = Role.LEADER
    forbidden_role = Role.INTAKE

    def make_object(self, world: World, division: Any) -> models.Model:
        appeal = super().make_object(world, division)
        handler = handler_of(world, appeal.unit)
        s.appeal_request_extension(appeal=appeal, actor=handler, days=3, reason="需协调平台总部")
        return Appeal.all_objects.get(pk=appeal.pk)

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"decision": "approve", "note": ""}


class TestSupervise(ActionSuite):
    slug = "supervise"
    state = State.IN_PROGRESS
    allowed_role = Role.LEADER
    forbidden_role = Role.HANDLER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"note": "请两日内答复", "deadline": ""}


class TestMerge(ActionSuite):
    slug = "merge"
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def make_object(self, world: World, division: Any) -> models.Model:
        self.original = drive(world, division, State.ACCEPTED)
        return super().make_object(world, division)

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"into": self.original.tracking_no}


class TestRate(ActionSuite):
    slug = "rate"
    state = State.REPLIED
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def overrides(self) -> dict[str, Any]:
        return {"channel": Channel.HOTLINE}

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"resolved": "yes", "satisfaction": "satisfied", "comment": ""}


class TestWithdraw(ActionSuite):
    slug = "withdraw"
    state = State.IN_PROGRESS
    allowed_role = Role.INTAKE
    forbidden_role = Role.LEADER

    def fields(self, obj: Any) -> dict[str, Any]:
        return {"reason": "已自行解决"}
