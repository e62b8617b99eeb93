"""Helpers of the appeals API tests: appeals driven to a state in any division, partner tokens, and a
worker's browser session holding a verified phone (with CSRF enforced, as in a browser)."""

from __future__ import annotations

import json
from importlib import import_module
from types import SimpleNamespace
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.test import Client

from shegong.accounts import services as account_services
from shegong.accounts.choices import Role
from shegong.accounts.models import Grant, User
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, State, WorkerType
from shegong.appeals.models import Appeal, AppealEvent, ExtensionRequest, ReturnRecord, Supervision
from shegong.appeals.verified import mark_verified
from shegong.divisions.models import Division, Unit
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

BASE = "/api/v1/appeals"
PHONE = "13800138000"
CSRF = "A" * 32  # an unmasked CSRF secret: accepted as cookie and header alike


def unit_for(world: World, division: Division) -> Unit:
    return world.home_unit if division.code.startswith("210105") else world.away_unit


def appeal_in(world: World, division: Division, state: str, **fields: Any) -> Appeal:
    """A new appeal in `division`, driven along the main line to `state` by nationwide staff and the
    handler of the division's unit."""
    values: dict[str, Any] = {
        "text": "站点拖欠我三个月的配送费，站长一直不接电话。",
        "division": division,
        "phone": PHONE,
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.FOOD_DELIVERY,
        "channel": Channel.H5,
        "platform": "美团",
    }
    values.update(fields)
    appeal = s.appeal_submit(**values)
    if state == State.SUBMITTED:
        return appeal
    intake = world.nationwide(Role.INTAKE)
    appeal = s.appeal_accept(appeal=appeal, actor=intake)
    if state == State.ACCEPTED:
        return appeal
    unit = unit_for(world, division)
    appeal = s.appeal_dispatch(appeal=appeal, actor=intake, unit=unit)
    if state == State.DISPATCHED:
        return appeal
    handler = world.user(Role.HANDLER, unit.division, unit=unit)
    appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
    if state == State.IN_PROGRESS:
        return appeal
    appeal = s.appeal_reply(appeal=appeal, actor=handler, text="已联系站点，配送费本周内结清。")
    if state == State.REPLIED:
        return appeal
    if state == State.CLOSED:
        return s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)
    raise AssertionError(state)


def token_for(user: User) -> str:
    _, raw = account_services.api_token_create(user=user, name="test system", actor=None)
    return raw


def partner(world: World, division: Division | None = None) -> tuple[User, str]:
    user = world.user(Role.PLATFORM_PARTNER, division or world.home)
    return user, token_for(user)


def post(client: Client, url: str, body: Any, **headers: str) -> Any:
    """POST `body` as JSON; headers by their HTTP names (Idempotency-Key) or as WSGI keys (HTTP_…)."""
    extra = {
        k if k.startswith("HTTP_") else "HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
    }
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


def bearer(raw: str) -> dict[str, str]:
    """The Authorization header as the test client takes it: `client.get(url, **bearer(raw))`."""
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def new_body(world: World, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "平台近三个月扣减配送费，申诉无回应。",
        "division": world.home_community.code,
        "appeal_type": "complaint",
        "worker_type": "food_delivery",
        "phone": "13912345678",
        "platform": "美团",
        "source_ref": "MT-2026-0001",
    }
    body.update(fields)
    return body


def verified_client(phone: str = PHONE) -> Client:
    """A browser holding a session in which `phone` was verified by SMS code; CSRF is enforced, and the
    client carries the CSRF cookie (send `X-CSRFToken: CSRF` on writes)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    mark_verified(SimpleNamespace(session=store), phone)  # type: ignore[arg-type]
    store.save()
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    return client


WRITES = (Appeal, AppealEvent, ReturnRecord, ExtensionRequest, Supervision)


class AppealSuite(ScopedEndpointSuite):
    """An appeal in `state` in the suite's division; a handler role gets the unit of its division."""

    state: ClassVar[str] = State.SUBMITTED
    allowed_role = Role.INTAKE
    forbidden_role = Role.VOLUNTEER  # no appeals permission anywhere
    watched_models: ClassVar[tuple[type[models.Model], ...]] = WRITES

    def make_object(self, world: World, division: Any) -> Appeal:
        self.world = world
        return appeal_in(world, division, self.state)

    def url(self, obj: Any) -> str:
        return f"{BASE}/{obj.tracking_no}"

    def marker(self, obj: Any) -> str:
        return str(obj.tracking_no)

    def login(self, client: Client, user: Any) -> Client:
        # A unit's handler works for a unit: give the suite's handler the unit of its grant's county.
        Grant.objects.filter(user=user, role=Role.HANDLER, unit__isnull=True).update(
            unit=self.world.home_unit
        )
        user.invalidate_grant_cache()
        return super().login(client, user)
