"""Aggregates never count what lies outside the grant: the desk's and the dashboard's counts, the indicator
workbook's numbers and the API lists' totals stay the same when rows are added outside the caller's
jurisdiction, and move when rows are added inside it (so the comparison can fail)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client

from shegong.accounts.choices import Role
from shegong.accounts.models import Grant, User
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, WorkerType
from shegong.core.models import AuditEvent
from shegong.divisions.models import Division, Unit
from tests.support.world import World


def _client(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def _closed_appeal(world: World, division: Division, unit: Unit) -> None:
    intake = world.nationwide(Role.INTAKE)
    handler = world.user(Role.HANDLER, unit.division, unit=unit)
    appeal = s.appeal_submit(
        text="站点拖欠配送费。",
        division=division,
        phone="13800138000",
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
    )
    appeal = s.appeal_accept(appeal=appeal, actor=intake)
    appeal = s.appeal_dispatch(appeal=appeal, actor=intake, unit=unit)
    appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
    appeal = s.appeal_reply(appeal=appeal, actor=handler, text="已处理。")
    s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED)


def add_rows(world: World, side: str) -> None:
    """Appeals (closed and new), a unit, an account and an audit row in the side's street."""
    division = world.home_street if side == "in" else world.away_street
    unit = world.home_unit if side == "in" else world.away_unit
    for _ in range(2):
        _closed_appeal(world, division, unit)
    s.appeal_submit(
        text="新诉求。",
        division=division,
        phone="13800138001",
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
    )
    Unit.all_objects.create(name=f"新单位{side}", unit_type="social_work_dept", division=division)
    account = User.objects.create_user(username=f"agg-{side}", password=None, division=division)
    Grant.objects.create(user=account, role=Role.SOCIAL_WORKER, division=division)
    AuditEvent.objects.create(action="accounts.login.succeeded", division_code=division.code)


def desk_counts(client: Client) -> dict[str, str]:
    html = client.get("/desk/").content.decode()
    return dict(re.findall(r'data-count="([\w-]+)".*?sg-stat-value">\s*([^<]*?)\s*<', html, re.S))


def dashboard_kpis(client: Client) -> dict[str, str]:
    html = client.get("/dashboard/").content.decode()
    return dict(re.findall(r'data-testid="kpi-([\w-]+)">\s*([^<]*?)\s*<', html))


def workbook_numbers(client: Client) -> list[Any]:
    response = client.get("/desk/appeals/indicators/export/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)
    ]


def api_count(path: str) -> Callable[[Client], Any]:
    def measure(client: Client) -> Any:
        response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        return response.json()["count"]

    return measure


MEASURES: list[tuple[str, str, Callable[[Client], Any]]] = [
    ("desk home counts (platform admin)", Role.PLATFORM_ADMIN, desk_counts),
    ("desk home counts (leader)", Role.LEADER, desk_counts),
    ("dashboard KPIs", Role.LEADER, dashboard_kpis),
    ("indicator workbook", Role.LEADER, workbook_numbers),
    ("appeals API total", Role.INTAKE, api_count("/api/v1/appeals")),
    ("units API total", Role.PLATFORM_ADMIN, api_count("/api/v1/units")),
    ("accounts API total", Role.PLATFORM_ADMIN, api_count("/api/v1/accounts/users")),
    ("audit API total", Role.AUDITOR, api_count("/api/v1/audit")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("what", "role", "measure"), MEASURES, ids=[m[0] for m in MEASURES])
def test_aggregates_ignore_rows_outside_the_grant(world: World, what: str, role: str, measure: Any) -> None:
    user = world.user(role, world.home, unit=world.home_unit if role == Role.HANDLER else None)
    client = _client(user)
    before = measure(client)
    add_rows(world, "out")
    assert measure(client) == before, f"{what} moved when rows were added outside the grant"
    add_rows(world, "in")
    assert measure(client) != before, f"{what} did not move when rows were added inside the grant"
