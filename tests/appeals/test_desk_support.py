"""Helpers for the desk page tests (no tests here): appeals driven to any state in any division of the test
world, and logged-in clients reading English."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, State, WorkerType
from shegong.appeals.models import Appeal
from shegong.divisions.models import Division, Unit
from tests.support.world import World

PHONE = "13800138000"
TEXT = "站点拖欠我三个月的配送费，站长一直不接电话。"


def unit_for(world: World, division: Division) -> Unit:
    return world.home_unit if division.code.startswith(world.home.prefix) else world.away_unit


def handler_of(world: World, unit: Unit) -> User:
    return world.user(Role.HANDLER, unit.division, unit=unit)


def drive(world: World, division: Division, state: str, **overrides: Any) -> Appeal:
    """An appeal filed in `division` and driven to `state` by actors whose grants cover it."""
    intake = world.nationwide(Role.INTAKE)
    unit = unit_for(world, division)
    fields: dict[str, Any] = {
        "text": TEXT,
        "division": division,
        "phone": PHONE,
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.FOOD_DELIVERY,
        "channel": Channel.H5,
        "platform": "美团",
    }
    fields.update(overrides)
    appeal = s.appeal_submit(**fields)
    if state == State.SUBMITTED:
        return appeal
    if state == State.REJECTED:
        return s.appeal_reject(appeal=appeal, actor=intake, reason="与新就业群体无关")
    appeal = s.appeal_accept(appeal=appeal, actor=intake)
    if state == State.ACCEPTED:
        return appeal
    appeal = s.appeal_dispatch(appeal=appeal, actor=intake, unit=unit)
    if state == State.DISPATCHED:
        return appeal
    handler = handler_of(world, unit)
    appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
    if state == State.IN_PROGRESS:
        return appeal
    appeal = s.appeal_reply(appeal=appeal, actor=handler, text="已联系站点，配送费本周内结清。")
    if state == State.REPLIED:
        return appeal
    if state == State.CLOSED:
        return s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)
    raise AssertionError(state)


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def client_for(user: User) -> Client:
    client = english(Client())
    client.force_login(user)
    return client


def detail_url(appeal: Appeal) -> str:
    return f"/desk/appeals/{appeal.tracking_no}/"


def action_url(appeal: Appeal, slug: str) -> str:
    return f"/desk/appeals/{appeal.tracking_no}/actions/{slug}/"
