"""Open311 from the outside: a real HTTP server of ours (pytest-django's live_server) read by the independent
GeoReport v2 client from PyPI (`georeport`), and written to with a plain form-encoded POST as any Open311
client sends it. The request filed that way then lives the life of every appeal: intake's queue, dispatch,
sign-for, reply, the hotline revisit, `closed` in Open311, and the three rates.

Transactional: the live server answers from another thread, so the data must be committed. Categories and
time limits come from a data migration; after an earlier transactional test's flush the root conftest seeds
them again with that migration's own function.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import georeport.georeport as georeport_module
import pytest
import requests
from django.test import Client
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from georeport import GeoReport

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import AppealType, Channel, Satisfaction, State, WorkerType
from shegong.appeals.indicators.compute import Grouping, Period, indicator_report
from shegong.appeals.models import Appeal, Category
from shegong.open311 import keys
from shegong.stations.geo import gcj02_to_wgs84
from tests.support.world import World

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/open311/v2"
PHONE = "13912345678"
TEXT = "站点拖欠我三个月的配送费，站长一直不接电话。"
ADDRESS = "北陵大街 45 号 美团皇姑站"
WGS84 = ("41.822110", "123.410245")  # 皇姑区, as a phone's GPS reports it
REPLY = "已联系站点，配送费本周内结清。"


def label(state: str) -> str:
    """The state's name as status_notes carries it (the platform answers in Chinese)."""
    with translation.override("zh-hans"):
        return str(State(state).label)


@pytest.fixture
def key(world: World) -> str:
    """美团's key at 皇姑区, made as the operator makes it (`shegong open311 key create`)."""
    _token, raw = keys.key_create(platform="美团", division="210105")
    return raw


@pytest.fixture
def base(live_server: Any) -> str:
    return f"{live_server.url}{PATH}"


@pytest.fixture
def keyed_georeport(key: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """georeport 0.3.1 sends `api_key` only from its (absent) POST, never on a GET; reading service
    requests here needs the key (appeals are workers' own matters, not public reports). An integrator adds
    it to the client's GETs, as done here; services and definitions are read without it."""

    def get(url: str, params: dict[str, Any] | None = None, **options: Any) -> requests.Response:
        return requests.get(url, params={**(params or {}), "api_key": key}, timeout=10, **options)

    monkeypatch.setattr(georeport_module, "requests", SimpleNamespace(get=get))
    return


def file_request(base: str, key: str, **overrides: str) -> tuple[int, Any]:
    """POST requests.json exactly as an Open311 client does: application/x-www-form-urlencoded, UTF-8."""
    fields = {
        "api_key": key,
        "jurisdiction_id": "210105",
        "service_code": "WAGE",
        "address_id": "210105001001",
        "address_string": ADDRESS,
        "lat": WGS84[0],
        "long": WGS84[1],
        "description": TEXT,
        "phone": PHONE,
        "first_name": "张",
        "email": "rider@example.com",
        "attribute[worker_type]": WorkerType.FOOD_DELIVERY.value,
        "attribute[appeal_type]": AppealType.COMPLAINT.value,
        "attribute[platform]": "美团",
        "attribute[source_ref]": "MT-2026-0001",
        **overrides,
    }
    request = urllib.request.Request(  # noqa: S310 -- the live test server on 127.0.0.1
        f"{base}/requests.json",
        data=urlencode(fields).encode("utf-8"),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode("utf-8"))


def read_request(base: str, key: str, request_id: str) -> dict[str, Any]:
    """GET requests/{id}.json as a client polls it; the body must never carry the worker's phone."""
    response = requests.get(
        f"{base}/requests/{request_id}.json", params={"api_key": key, "jurisdiction_id": "210105"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert PHONE not in response.text
    assert PHONE[-4:] not in response.text  # not even masked
    (entry,) = response.json()
    return dict(entry)


def moment(value: str) -> dt.datetime:
    parsed = parse_datetime(value)
    assert parsed is not None, value
    assert parsed.tzinfo is not None, f"{value} has no offset"
    return parsed


def items(value: Any, tag: str) -> list[Any]:
    """A repeated element as georeport hands it over: a JSON array, or xmltodict's {tag: [..]} / {tag: {..}}
    (one element is a dict, not a list)."""
    if isinstance(value, dict):
        value = value[tag]
    return value if isinstance(value, list) else [value]


def truth(value: Any) -> bool:
    """JSON true / XML "true"."""
    return value is True or value == "true"


# --- georeport reads what we serve -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_our_services_and_their_definitions(base: str, world: World, fmt: str) -> None:
    client = GeoReport(base, jurisdiction="210105", output_format=fmt)
    services = {s["service_code"]: s for s in client.get_service_list()}
    active = Category.objects.filter(is_active=True)
    assert set(services) == set(active.values_list("code", flat=True))
    for category in active.select_related("parent"):
        service = services[category.code]
        assert service["service_name"] == category.name
        assert service["group"] == (category.parent or category).name
        assert service["type"] == "realtime"
        assert truth(service["metadata"])
        assert category.name in service["keywords"]
    assert "欠薪" in services["WAGE"]["keywords"]

    definition = client.get_service_definition("WAGE")
    assert definition["service_code"] == "WAGE"
    attributes = {a["code"]: a for a in items(definition["attributes"], "attribute")}
    assert {"worker_type", "appeal_type", "platform"} <= set(attributes)
    for code, choices in (("worker_type", WorkerType), ("appeal_type", AppealType)):
        attribute = attributes[code]
        assert attribute["datatype"] == "singlevaluelist"
        assert truth(attribute["required"])
        assert truth(attribute["variable"])
        assert [v["key"] for v in items(attribute["values"], "value")] == list(choices.values)
    with translation.override("zh-hans"):
        names = {v["key"]: v["name"] for v in items(attributes["worker_type"]["values"], "value")}
        assert names[WorkerType.FOOD_DELIVERY] == str(WorkerType.FOOD_DELIVERY.label)
    assert "美团" in [v["key"] for v in items(attributes["platform"]["values"], "value")]
    assert not truth(attributes["platform"]["required"])
    orders = [int(a["order"]) for a in attributes.values()]
    assert orders == sorted(orders)


def test_georeport_gets_an_error_for_an_unknown_service(base: str, world: World) -> None:
    client = GeoReport(base, output_format="json")
    with pytest.raises(requests.HTTPError) as info:
        client.get_service_definition("NO_SUCH_SERVICE")
    assert info.value.response.status_code == 404
    (error,) = info.value.response.json()
    assert error["code"] == 404
    assert error["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_the_requests_we_filed(
    base: str, key: str, world: World, keyed_georeport: None, fmt: str
) -> None:
    status, answer = file_request(base, key)
    assert status == 201, answer
    filed = answer[0]["service_request_id"]
    other_status, other = file_request(base, key, description="小区不让外卖骑手进门，只能在门口等很久。")
    assert other_status == 201, other
    appeal = Appeal.all_objects.select_related("category").get(tracking_no=filed)

    client = GeoReport(base, jurisdiction="210105", output_format=fmt)
    request = client.get_service_request(filed)
    assert request["service_request_id"] == appeal.tracking_no
    assert request["status"] == "open"
    assert request["status_notes"] == label(State.SUBMITTED)
    assert (request["service_code"], request["service_name"]) == ("WAGE", "劳动报酬")
    assert request["description"] == TEXT
    assert request["address"] == ADDRESS
    assert request["address_id"] == "210105001001"
    assert moment(request["requested_datetime"]) == appeal.submitted_at.replace(microsecond=0)
    # stored in GCJ-02 as Chinese maps use it, given back in the spec's WGS-84 within a metre
    assert abs(float(request["lat"]) - float(WGS84[0])) < 1e-5
    assert abs(float(request["long"]) - float(WGS84[1])) < 1e-5
    assert abs(gcj02_to_wgs84(float(appeal.lat), float(appeal.lng))[0] - float(WGS84[0])) < 1e-5
    assert not request.get("agency_responsible")  # not dispatched yet
    assert not request.get("media_url")
    assert "phone" not in request
    assert "email" not in request
    assert "first_name" not in request

    listed = client.get_service_requests(status="open")
    assert {r["service_request_id"] for r in listed} == {filed, other[0]["service_request_id"]}
    both = client.get_service_requests(service_request_id=f"{filed},{other[0]['service_request_id']}")
    assert len(both) == 2
    if fmt == "json":
        assert client.get_service_requests(status="closed") == []
    else:
        # georeport 0.3.1 cannot read an empty XML list (it indexes None); the document itself is right
        empty = requests.get(f"{base}/requests.xml", params={"api_key": key, "status": "closed"}, timeout=10)
        assert empty.status_code == 200
        assert empty.text.endswith("<service_requests />")


def test_without_the_key_georeport_cannot_read_requests(base: str, key: str, world: World) -> None:
    status, _answer = file_request(base, key)
    assert status == 201
    client = GeoReport(base, jurisdiction="210105", output_format="json")
    with pytest.raises(requests.HTTPError) as info:
        client.get_service_requests()
    assert info.value.response.status_code == 403
    assert PHONE not in info.value.response.text


# --- a request's whole life ---------------------------------------------------------------------------------
def test_a_form_posted_request_goes_through_the_desk_to_closed_and_is_counted(
    base: str, key: str, world: World
) -> None:
    intake = world.user(Role.INTAKE)
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    leader = world.user(Role.LEADER)

    # 1. A platform's system files it with a plain form-encoded POST.
    status, answer = file_request(base, key)
    assert status == 201, answer
    (created,) = answer
    request_id = created["service_request_id"]
    assert created["service_notice"]
    appeal = Appeal.all_objects.get(tracking_no=request_id)
    assert appeal.channel == Channel.OPEN311
    assert appeal.filed_by is not None
    assert appeal.filed_by.real_name == "美团"
    assert (appeal.worker_type, appeal.appeal_type, appeal.platform) == (
        WorkerType.FOOD_DELIVERY,
        AppealType.COMPLAINT,
        "美团",
    )
    assert (appeal.division_id, appeal.category.code, appeal.source_ref) == (  # type: ignore[union-attr]
        "210105001001",
        "WAGE",
        "MT-2026-0001",
    )
    assert appeal.phone == PHONE  # kept (encrypted) for the SMS and the revisit, never returned

    # 2. It is in intake's to-accept queue like any appeal.
    desk = Client()
    desk.force_login(intake)
    page = desk.get("/desk/appeals/", {"queue": "to_accept"})
    assert page.status_code == 200
    assert f'data-tracking-no="{request_id}"' in page.content.decode()

    # 3. Staff act on it; the client polls after every step and follows it to `closed`.
    seen = [read_request(base, key, request_id)]
    appeal = s.appeal_accept(appeal=appeal, actor=intake)
    seen.append(read_request(base, key, request_id))
    appeal = s.appeal_dispatch(appeal=appeal, actor=intake, unit=world.home_unit)
    seen.append(read_request(base, key, request_id))
    appeal = s.appeal_sign_for(appeal=appeal, actor=handler)
    seen.append(read_request(base, key, request_id))
    appeal = s.appeal_reply(appeal=appeal, actor=handler, text=REPLY)
    seen.append(read_request(base, key, request_id))
    # the hotline's revisit: intake calls the worker and records the rating
    appeal = s.appeal_rate(appeal=appeal, actor=intake, resolved=True, satisfaction=Satisfaction.SATISFIED)
    seen.append(read_request(base, key, request_id))

    assert [(r["status"], r["status_notes"]) for r in seen] == [
        ("open", label(State.SUBMITTED)),
        ("open", label(State.ACCEPTED)),
        ("open", label(State.DISPATCHED)),
        ("open", label(State.IN_PROGRESS)),
        ("open", label(State.REPLIED)),
        ("closed", label(State.CLOSED)),
    ]
    assert [bool(r.get("agency_responsible")) for r in seen] == [False, False, True, True, True, True]
    assert seen[-1]["agency_responsible"] == world.home_unit.name
    appeal.refresh_from_db()
    assert appeal.closed_at is not None
    assert moment(seen[-1]["updated_datetime"]) == appeal.closed_at.replace(microsecond=0)
    assert moment(seen[2]["expected_datetime"]) == appeal.sign_due_at.replace(microsecond=0)  # type: ignore[union-attr]
    times = [moment(r["updated_datetime"]) for r in seen]
    assert times == sorted(times)
    assert all(r["description"] == TEXT for r in seen)  # the unit's reply is not published

    # 4. Closed, it is in the finished queue and counted in the three rates like any other appeal.
    page = desk.get("/desk/appeals/", {"queue": "closed"})
    assert f'data-tracking-no="{request_id}"' in page.content.decode()
    today = timezone.localdate()
    report = indicator_report(
        user=leader, period=Period(today - dt.timedelta(days=1), today), grouping=Grouping.UNIT
    )
    (row,) = [r for r in report.rows if r.key == str(world.home_unit.pk)]
    assert row.counted == 1
    assert row.excluded == 0
    for rate in ("response", "resolution", "satisfaction"):
        ratio = row.ratio(rate)
        assert (ratio.numerator, ratio.denominator) == (1, 1), rate

    # 5. The closed request is what georeport's status filter finds.
    listed = requests.get(
        f"{base}/requests.json", params={"api_key": key, "status": "closed"}, timeout=10
    ).json()
    assert [r["service_request_id"] for r in listed] == [request_id]


def test_a_retried_post_files_one_request(base: str, key: str, world: World) -> None:
    """A client that lost the answer sends the same body again: one appeal, the same number."""
    first_status, first = file_request(base, key)
    again_status, again = file_request(base, key)
    assert (first_status, again_status) == (201, 201)
    assert again[0]["service_request_id"] == first[0]["service_request_id"]
    assert Appeal.all_objects.count() == 1


def test_a_revoked_key_files_nothing(base: str, key: str, world: World) -> None:
    keys.key_revoke(prefix_or_id=key)
    status, answer = file_request(base, key)
    assert status == 403
    assert answer[0]["code"] == 403
    assert not Appeal.all_objects.exists()
