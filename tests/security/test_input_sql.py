"""SQL metacharacters in every filter: each list, search and filter parameter of the desk pages, the H5
pages, the dashboard, the API and Open311 takes `' OR 1=1 --`, `"; DROP TABLE x; --`, `%`, `_`, `\\`, a
NUL byte, a very long string and odd Unicode without a server error, without showing a row outside the
caller's jurisdiction, and with `%` and `_` matched literally (a search for `%` finds only text holding a
per-cent sign)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from shegong.accounts import services as account_services
from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, WorkerType
from shegong.appeals.models import Appeal
from shegong.divisions import services as unit_services
from shegong.stations.models import Station
from tests.open311.support import make_key
from tests.security.input_support import worker_client
from tests.support.world import World

pytestmark = pytest.mark.django_db

AWAY = "远方秘密标记"  # only in the out-of-scope appeal, unit, account and station
VALUES = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE accounts_user; --',
    "1; SELECT pg_sleep(0) --",
    "' UNION SELECT username, password FROM accounts_user --",
    "%",
    "_",
    "%%",
    "\\",
    "\\%",
    "a\x00b",
    "\x00",
    "x" * 5000,
    "😀\u202eטקסט\u0301",
    "210105%",
    "210105_____",
    "-1",
    "99999999999999999999999",
]


def _appeal(world: World, division: Any, text: str, phone: str = "13800138000") -> Appeal:
    return s.appeal_submit(
        text=text,
        division=division,
        phone=phone,
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
        platform="美团",
    )


def _station(world: World, division: Any, name: str) -> Station:
    station = Station(
        name=name,
        division=division,
        address="测试地址1号",
        lat=41.82 if division == world.home else 22.82,
        lng=123.42 if division == world.home else 108.32,
        amenities=["water"],
        opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
    )
    station.full_clean()
    station.save()
    return station


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    """In scope: three appeals (one whose text holds "100%_完成"); out of scope: an appeal, a unit, an
    account and a station carrying AWAY."""
    _appeal(world, world.home_community, "站点拖欠我三个月的配送费，站长一直不接电话。")
    _appeal(world, world.home_community, "平台扣了押金不退。")
    _appeal(world, world.home_street, "任务完成度 100%_完成 才发工资，不合理。")
    _appeal(world, world.away_street, f"{AWAY}：平台不给上保险。", phone="13700137000")
    world.away_unit.name = f"{AWAY}单位"
    world.away_unit.save()
    away_person = world.user(Role.INTAKE, world.away)
    away_person.real_name = f"{AWAY}用户"
    away_person.save()
    _station(world, world.home, "皇姑驿站")
    _station(world, world.away, f"{AWAY}驿站")
    users = {
        "intake": world.user(Role.INTAKE),
        "leader": world.user(Role.LEADER),
        "admin": world.user(Role.PLATFORM_ADMIN),
        "auditor": world.user(Role.AUDITOR),
        "social_worker": world.user(Role.SOCIAL_WORKER),
    }
    _user, key = make_key(world, Role.INTAKE)
    return {"users": users, "open311_key": key}


def _client(scene: dict[str, Any], who: str) -> Client:
    if who == "worker":
        return worker_client()
    client = Client()
    if who != "anonymous":
        client.force_login(scene["users"][who])
    return client


# (who, path, parameters to poison, fixed parameters)
ENDPOINTS: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = [
    ("intake", "/desk/appeals/", ("q", "state", "category", "division", "unit", "urgency", "channel",
                                  "overdue", "date_from", "date_to", "sort", "page", "queue"),
     {"queue": "all"}),
    ("leader", "/desk/appeals/supervision/", ("division", "overdue", "page"), {}),
    ("auditor", "/desk/audit/", ("since", "until", "actor", "action", "outcome", "division", "target_type",
                                 "target_id", "page"), {}),
    ("auditor", "/desk/audit/export/", ("actor", "division", "target_id", "format"), {"format": "csv"}),
    ("admin", "/accounts/users/", ("q", "page"), {}),
    ("admin", "/desk/units/", ("q", "unit_type", "division", "status", "sort", "page"), {}),
    ("admin", "/desk/units/divisions/", ("division",), {}),
    ("admin", "/desk/appeals/catalogue/rules/", ("division", "category", "q", "status", "sort", "page"), {}),
    ("admin", "/desk/appeals/catalogue/rules/new/", ("division", "category"), {}),
    ("admin", "/desk/appeals/catalogue/rules/preview/", ("division", "category"), {}),
    ("admin", "/desk/appeals/catalogue/rules/divisions/", ("division",), {}),
    ("admin", "/desk/appeals/catalogue/rules/units/", ("division", "unit", "unit_q"), {}),
    ("admin", "/desk/appeals/catalogue/time-limits/", ("category",), {}),
    ("admin", "/desk/appeals/catalogue/categories/new/", ("parent",), {}),
    ("leader", "/desk/appeals/indicators/", ("period", "date_from", "date_to", "group", "division", "sort",
                                             "page"), {"period": "custom"}),
    ("leader", "/desk/appeals/indicators/export/", ("period", "group", "division"), {}),
    ("leader", "/desk/appeals/indicators/exclusions/", ("division", "page"), {}),
    ("intake", "/desk/appeals/hotline/new/", ("division",), {}),
    ("leader", "/dashboard/hotspots/", ("division", "status", "kind", "sort", "page"), {}),
    ("leader", "/dashboard/hotspots/tasks/", ("division", "status", "page"), {}),
    ("worker", "/h5/appeals/mine/", ("status", "page"), {}),
    ("anonymous", "/h5/appeals/track/", ("no",), {}),
    ("anonymous", "/h5/appeals/new/places/", ("district", "street", "community"), {}),
    ("social_worker", "/desk/stations/", ("q", "kind", "status", "amenity", "division", "open_now", "sort",
                                          "page"), {}),
    ("social_worker", "/desk/stations/unit-options/", ("division", "operator_unit"), {}),
    ("anonymous", "/h5/stations/", ("lat", "lng", "coords", "amenity", "all", "district", "street"), {}),
    # API (a session: GET needs no CSRF token)
    ("intake", "/api/v1/appeals", ("queue", "state", "category", "division", "unit", "urgency", "overdue",
                                   "channel", "date_from", "date_to", "q", "page", "page_size"), {}),
    ("worker", "/api/v1/appeals/mine", ("page", "page_size"), {}),
    ("auditor", "/api/v1/audit", ("since", "until", "actor", "action", "outcome", "division", "target_type",
                                  "target_id", "page", "page_size"), {}),
    ("admin", "/api/v1/accounts/users", ("q", "page", "page_size"), {}),
    ("admin", "/api/v1/units", ("q", "unit_type", "division", "is_active", "ordering", "page",
                                "page_size"), {}),
    ("admin", "/api/v1/divisions", ("parent",), {}),
    ("social_worker", "/api/v1/stations", ("page", "page_size"), {}),
    ("anonymous", "/api/v1/stations/nearest", ("lat", "lng", "coords", "k", "amenity", "open_now"),
     {"lat": "41.8", "lng": "123.4"}),
    # Open311 GET requests (the key goes in the query string)
    ("anonymous", "/open311/v2/requests.json", ("service_code", "status", "start_date", "end_date",
                                                "service_request_id", "jurisdiction_id"), {}),
    ("anonymous", "/open311/v2/requests.xml", ("service_code", "status", "jurisdiction_id"), {}),
    ("anonymous", "/open311/v2/services.json", ("jurisdiction_id",), {}),
]  # fmt: skip


def _params(scene: dict[str, Any], path: str, fixed: dict[str, str], name: str, value: str) -> dict[str, str]:
    params = dict(fixed)
    if path.startswith("/open311/"):
        params["api_key"] = scene["open311_key"]
    params[name] = value
    return params


def _cases() -> list[Any]:
    return [pytest.param(*e, id=e[1]) for e in ENDPOINTS]


@pytest.mark.parametrize(("who", "path", "names", "fixed"), _cases())
def test_metacharacters_in_every_filter_never_fail_or_leak(
    scene: dict[str, Any], who: str, path: str, names: tuple[str, ...], fixed: dict[str, str]
) -> None:
    client = _client(scene, who)
    problems = []
    for name in names:
        for value in VALUES:
            response = client.get(path, _params(scene, path, fixed, name, value))
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            if response.status_code >= 500:
                problems.append(f"{name}={value[:30]!r}: {response.status_code}")
            elif AWAY in text:
                problems.append(f"{name}={value[:30]!r}: shows the out-of-scope row")
    assert problems == []


def test_tables_survive(scene: dict[str, Any]) -> None:
    """After every payload above (run in this same test against the list endpoints) nothing was dropped or
    changed: the row counts are what the scene made."""
    client = _client(scene, "intake")
    for value in VALUES:
        client.get("/desk/appeals/", {"queue": "all", "q": value})
        client.get("/api/v1/appeals", {"q": value})
    assert Appeal.all_objects.count() == 4
    assert Station.all_objects.count() == 2


# --- % and _ are literal ------------------------------------------------------------------------------------


def _desk_rows(client: Client, q: str) -> int:
    html = client.get("/desk/appeals/", {"queue": "all", "q": q}).content.decode()
    return html.count('data-testid="appeal-row"')


def _api_count(client: Client, path: str, **params: str) -> int:
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    body = json.loads(response.content)
    return int(body.get("count", len(body.get("items", []))))


def test_percent_and_underscore_match_only_themselves_in_appeal_search(scene: dict[str, Any]) -> None:
    client = _client(scene, "intake")
    assert _desk_rows(client, "") == 3  # the control: everything in scope
    assert _desk_rows(client, "%") == 1  # only the text that holds a per-cent sign
    assert _desk_rows(client, "_") == 1
    assert _desk_rows(client, "%_完成") == 1
    assert _desk_rows(client, "%%") == 0
    assert _desk_rows(client, "押%") == 0
    assert _desk_rows(client, "\\") == 0
    assert _api_count(client, "/api/v1/appeals") == 3
    assert _api_count(client, "/api/v1/appeals", q="%") == 1
    assert _api_count(client, "/api/v1/appeals", q="_") == 1
    assert _api_count(client, "/api/v1/appeals", q="押%") == 0


def test_percent_and_underscore_match_only_themselves_in_account_and_unit_search(
    scene: dict[str, Any], world: World
) -> None:
    admin = scene["users"]["admin"]
    for username, real_name in (
        ("plain-person", "普通用户"),
        ("under_score", "下划线"),
        ("percent", "百分之百%"),
    ):
        account_services.user_create(actor=admin, username=username, real_name=real_name, division=world.home)
    for name in ("普通单位", "一百%单位", "下_划线单位"):
        unit_services.unit_create(actor=admin, name=name, unit_type="other", division=world.home)
    client = _client(scene, "admin")
    assert _api_count(client, "/api/v1/accounts/users") >= 3
    assert _api_count(client, "/api/v1/accounts/users", q="%") == 1
    assert _api_count(client, "/api/v1/accounts/users", q="_") == 1
    assert _api_count(client, "/api/v1/accounts/users", q="%%") == 0
    assert _api_count(client, "/api/v1/units") >= 3
    assert _api_count(client, "/api/v1/units", q="%") == 1
    assert _api_count(client, "/api/v1/units", q="_") == 1
    assert _api_count(client, "/api/v1/units", q="_%") == 0
    people = client.get("/accounts/users/", {"q": "%"}).content.decode()
    assert "百分之百%" in people
    assert "plain-person" not in people
    assert "under_score" not in people
    people = client.get("/accounts/users/", {"q": "_"}).content.decode()
    assert "under_score" in people
    assert "plain-person" not in people
    units = client.get("/desk/units/", {"q": "%"}).content.decode()
    assert "一百%单位" in units
    assert "普通单位" not in units
    units = client.get("/desk/units/", {"q": "_"}).content.decode()
    assert "下_划线单位" in units
    assert "普通单位" not in units
