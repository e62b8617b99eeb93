"""Stations to Excel: scoped and filtered like the desk list, phones masked unless a manager asks, formula
cells neutralised, every export audited, and an export imports back unchanged."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.stations.audit_actions import StationsAction
from shegong.stations.importing import import_stations
from shegong.stations.models import Station
from tests.stations.transfer_support import KEYS, _data_dir, read_xlsx  # noqa: F401
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

EXPORT = "/desk/stations/transfer/export/"
# The export's columns: the import's, with the division's name after its code.
COLUMNS = [*KEYS[:3], "division_name", *KEYS[3:]]
PHONE = COLUMNS.index("contact_phone")
ENGLISH = [
    "Name",
    "Kind",
    "Division code",
    "Operating unit",
    "Address",
    "Latitude",
    "Longitude",
    "Coordinate system",
    "Amenities",
    "Opening hours",
    "Contact phone",
    "Status",
]
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def make(division: Any, **fields: Any) -> Station:
    values: dict[str, Any] = {
        "name": "华山路爱心驿站",
        "division": division,
        "address": "沈阳市皇姑区华山路12号",
        "lat": 41.8201,
        "lng": 123.4201,
        "amenities": ["water", "toilet"],
        "opening_hours": {d: [["08:00", "20:00"]] for d in EVERY_DAY[:5]} | {"sat": "24h"},
        "contact_phone": "13812345678",
    }
    values.update(fields)
    station = Station(**values)
    station.full_clean()
    station.save()
    return station


def export(client: Client, **params: Any) -> list[list[Any]]:
    response = client.get(EXPORT, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return read_xlsx(b"".join(response.streaming_content))


def names(rows: list[list[Any]]) -> set[str]:
    return {r[0] for r in rows[1:]}


class TestExportScope(ScopedEndpointSuite):
    """A division filter inside the jurisdiction exports (200), outside it 404; no view permission 403."""

    is_api = False
    allowed_role = Role.SOCIAL_WORKER
    forbidden_role = Role.VOLUNTEER
    watched_models = (Station,)

    def make_object(self, world: World, division: Any) -> Station:
        lat, lng = (41.82, 123.42) if division.code.startswith("21") else (22.82, 108.38)
        return make(division, name=f"驿站{division.code}", lat=lat, lng=lng)

    def url(self, obj: Any) -> str:
        return f"{EXPORT}?division={obj.division_id}"

    def marker(self, obj: Any) -> str:
        return obj.name


@pytest.mark.django_db
def test_export_has_the_import_columns_and_only_the_users_stations(world: World, client: Client) -> None:
    make(world.home_community, name="社区驿站")
    make(world.away_street, name="远方驿站", lat=22.82, lng=108.38)
    client.force_login(world.user(Role.LEADER, world.home))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert export(client)[0] == [*ENGLISH[:3], "Division name", *ENGLISH[3:]]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    rows = export(client)
    assert names(rows) == {"社区驿站"}
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["division"] == world.home_community.code
    assert record["division_name"] == world.home_community.name
    assert record["amenities"] == "饮水、如厕"
    assert record["opening_hours"] == "周一至周五 08:00-20:00；周六 全天；周日 休息"
    assert (record["lat"], record["lng"], record["coords"]) == (41.8201, 123.4201, "GCJ-02")


@pytest.mark.django_db
def test_export_uses_the_desk_list_filters(world: World, client: Client) -> None:
    make(world.home_community, name="社区饮水驿站", amenities=["water"])
    make(world.home_community, name="社区充电驿站", amenities=["phone_charging"], status="suspended")
    make(world.home, name="区里工会之家", kind="union_home", amenities=["water"], address="黄河大街1号")
    client.force_login(world.user(Role.LEADER, world.home))
    assert names(export(client, amenity="water")) == {"社区饮水驿站", "区里工会之家"}
    assert names(export(client, status="suspended")) == {"社区充电驿站"}
    assert names(export(client, kind="union_home")) == {"区里工会之家"}
    assert names(export(client, q="黄河")) == {"区里工会之家"}
    assert names(export(client, division="210105001")) == {"社区饮水驿站", "社区充电驿站"}
    assert names(export(client, amenity="sauna")) == {"社区饮水驿站", "社区充电驿站", "区里工会之家"}
    assert client.get(EXPORT, {"division": world.away.code}).status_code == 404


@pytest.mark.django_db
def test_phones_are_masked_unless_a_manager_asks(world: World, client: Client) -> None:
    make(world.home_community)
    manager = world.user(Role.SOCIAL_WORKER, world.home)
    client.force_login(manager)
    masked = export(client)
    assert masked[1][PHONE] == "138****5678"
    full = export(client, phones="1")
    assert full[1][PHONE] == "13812345678"
    audits = list(AuditEvent.objects.filter(action=StationsAction.EXPORTED).order_by("pk"))
    assert [(a.changes["rows"], a.changes["phones_included"]) for a in audits] == [(1, False), (1, True)]
    assert audits[1].changes["full_phones"] == 1
    assert audits[1].actor_id == manager.pk
    assert audits[1].division_code == "210105000000"
    # a leader sees stations but does not manage them: the number stays masked even when asked
    client.force_login(world.user(Role.LEADER, world.home))
    assert export(client, phones="1")[1][PHONE] == "138****5678"
    assert (
        AuditEvent.objects.filter(action=StationsAction.EXPORTED).last().changes["phones_included"] is False
    )


@pytest.mark.django_db
def test_formula_cells_are_neutralised(world: World, client: Client) -> None:
    make(world.home_community, name="=cmd|' /C calc'!A0", address="@SUM(1+1)")
    client.force_login(world.user(Role.LEADER, world.home))
    response = client.get(EXPORT)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    assert sheet["A2"].value == "'=cmd|' /C calc'!A0"
    assert sheet["A2"].data_type == "s"
    address = sheet.cell(row=2, column=COLUMNS.index("address") + 1).value
    assert address == "'@SUM(1+1)"


@pytest.mark.django_db
def test_an_export_imports_back_unchanged_and_edits_become_updates(world: World, client: Client) -> None:
    make(world.home_community, name='=HYPERLINK("x")', operator_unit=world.home_unit)
    make(
        world.home_street,
        name="街道驿站",
        opening_hours={},
        contact_phone="",
        status="closed",
        kind="partner_shop",
    )
    make(world.home, name="全天驿站", opening_hours=dict.fromkeys(EVERY_DAY, "24h"), amenities=[])
    manager = world.user(Role.SOCIAL_WORKER, world.home)
    client.force_login(manager)
    content = b"".join(client.get(EXPORT).streaming_content)
    outcome = import_stations(io.BytesIO(content), actor=manager, file_name="export.xlsx")
    assert outcome.imported, outcome.errors
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 3)

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    for line in sheet.iter_rows(min_row=2):
        if line[0].value == "街道驿站":
            line[COLUMNS.index("address")].value = "新地址9号"
            line[COLUMNS.index("opening_hours")].value = "周一至周五 09:00-17:00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = import_stations(io.BytesIO(buffer.getvalue()), actor=manager, file_name="edited.xlsx")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 2)
    station = Station.all_objects.get(name="街道驿站")
    assert station.address == "新地址9号"
    assert station.opening_hours == {d: [["09:00", "17:00"]] for d in EVERY_DAY[:5]}
    assert Station.all_objects.get(name='=HYPERLINK("x")').operator_unit_id == world.home_unit.pk
    assert Station.all_objects.count() == 3


@pytest.mark.django_db
def test_an_english_export_imports_back_unchanged(world: World, client: Client) -> None:
    make(world.home_community, amenities=["microwave", "water"])
    manager = world.user(Role.SOCIAL_WORKER, world.home)
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(EXPORT)
    content = b"".join(response.streaming_content)
    assert read_xlsx(content)[1][COLUMNS.index("opening_hours")] == "Mon-Fri 08:00-20:00; Sat 24h; Sun closed"
    outcome = import_stations(io.BytesIO(content), actor=manager, file_name="export.xlsx")
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 1), outcome.errors


@pytest.mark.django_db
def test_export_reads_a_fixed_number_of_queries(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        make(world.home_community, name=f"驿站{i}", operator_unit=world.home_unit)
    client.force_login(world.user(Role.SOCIAL_WORKER, world.home))
    with django_assert_max_num_queries(12):
        rows = export(client, phones="1")
    assert len(rows) == 31
