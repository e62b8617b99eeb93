"""GET requests, GET requests/{id} and GET tokens/{token}: who reads what, the spec's filters and limits, the
fields and their formats, and no personal data anywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from shegong.accounts.choices import Role
from shegong.appeals import services
from shegong.appeals.choices import Channel, State
from shegong.appeals.models import Appeal, Category
from shegong.open311 import selectors
from tests.appeals.test_api_support import appeal_in
from tests.open311.support import (
    BASE,
    PHONE,
    body,
    en,
    error_descriptions,
    json_body,
    make_key,
    post,
    xml_root,
)
from tests.support.world import World

__all__ = ["en"]
pytestmark = pytest.mark.django_db

REQUEST_ELEMENTS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "lat",
    "long",
    "media_url",
]
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def filed(client: Client, key: str, world: World, **overrides: Any) -> str:
    response = post(client, "json", body(key, world, **overrides))
    assert response.status_code == 201, response.content
    return str(json_body(response)[0]["service_request_id"])


def ids_of(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {r["service_request_id"] for r in json_body(response)}


def listed(client: Client, key: str, **params: Any) -> set[str]:
    return ids_of(client.get(f"{BASE}/requests.json", {"api_key": key, **params}))


def back_dated(appeal: Appeal | str, days: float) -> None:
    number = appeal if isinstance(appeal, str) else appeal.tracking_no
    Appeal.all_objects.filter(tracking_no=number).update(
        submitted_at=timezone.now() - dt.timedelta(days=days)
    )


# --- who reads what ----------------------------------------------------------------------------------------
def test_a_platform_key_reads_only_what_it_filed(client: Client, world: World) -> None:
    _, key = make_key(world)
    _, other = make_key(world)
    mine = {filed(client, key, world), filed(client, key, world, phone="13700001111")}
    theirs = filed(client, other, world)
    worker_own = appeal_in(world, world.home_community, State.SUBMITTED).tracking_no
    assert listed(client, key) == mine
    for number in (theirs, worker_own):
        assert client.get(f"{BASE}/requests/{number}.json", {"api_key": key}).status_code == 404
        assert listed(client, key, service_request_id=number) == set()


def test_a_staff_key_reads_its_jurisdiction(client: Client, world: World) -> None:
    _, key = make_key(world, Role.INTAKE)
    home = appeal_in(world, world.home_community, State.SUBMITTED)
    street = appeal_in(world, world.home_street, State.ACCEPTED)
    away = appeal_in(world, world.away_street, State.SUBMITTED)
    assert listed(client, key) == {home.tracking_no, street.tracking_no}
    assert client.get(f"{BASE}/requests/{away.tracking_no}.xml", {"api_key": key}).status_code == 404
    # jurisdiction_id narrows; one outside the key's scope is not found, one unknown neither
    assert listed(client, key, jurisdiction_id=world.home_community.code) == {home.tracking_no}
    assert (
        client.get(f"{BASE}/requests.json", {"api_key": key, "jurisdiction_id": "450103"}).status_code == 404
    )
    assert (
        client.get(f"{BASE}/requests.json", {"api_key": key, "jurisdiction_id": "990000"}).status_code == 404
    )
    by_id = client.get(
        f"{BASE}/requests/{street.tracking_no}.json",
        {"api_key": key, "jurisdiction_id": world.home_community.code},
    )
    assert by_id.status_code == 404


def test_a_handlers_key_reads_its_units_appeals(client: Client, world: World) -> None:
    _, key = make_key(world, Role.HANDLER)  # a handler's grant without a unit sees nothing
    dispatched = appeal_in(world, world.home_community, State.DISPATCHED)
    assert listed(client, key) == set()
    _, unit_key = make_key(world, Role.HANDLER, unit=world.home_unit)
    assert listed(client, unit_key) == {dispatched.tracking_no}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_reading_needs_a_key_that_may_read(en: Client, world: World, fmt: str) -> None:
    number = appeal_in(world, world.home_community, State.SUBMITTED).tracking_no
    _, volunteer = make_key(world, Role.VOLUNTEER)
    for params in ({}, {"api_key": "sg_wrong"}, {"api_key": volunteer}):
        for url in (f"{BASE}/requests.{fmt}", f"{BASE}/requests/{number}.{fmt}", f"{BASE}/tokens/abc.{fmt}"):
            response = en.get(url, params)
            assert response.status_code == 403, (url, params)
            assert "api_key" in error_descriptions(response, fmt)[0]


# --- the documents -----------------------------------------------------------------------------------------
def test_request_xml_has_the_spec_elements(client: Client, world: World) -> None:
    _, key = make_key(world, Role.INTAKE)
    appeal = appeal_in(world, world.home_community, State.DISPATCHED, address="北陵大街 45 号")
    response = client.get(f"{BASE}/requests/{appeal.tracking_no}.xml", {"api_key": key})
    assert response.status_code == 200
    root = xml_root(response, "service_requests")
    (request,) = list(root)
    assert request.tag == "request"
    assert [c.tag for c in request] == REQUEST_ELEMENTS
    assert request.findtext("service_request_id") == appeal.tracking_no
    assert request.findtext("status") == "open"
    with translation.override("zh-hans"):
        assert request.findtext("status_notes") == str(State.DISPATCHED.label)
    assert request.findtext("agency_responsible") == world.home_unit.name
    assert request.findtext("address") == "北陵大街 45 号"
    assert request.findtext("address_id") == world.home_community.code
    assert request.findtext("media_url") == ""  # empty: photos are not public
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.match(request.findtext(name) or ""), name
    appeal.refresh_from_db()
    due = timezone.localtime(appeal.sign_due_at)
    assert request.findtext("expected_datetime") == due.isoformat(timespec="seconds")
    assert due.strftime("%Y-%m-%d %H:%M") in (request.findtext("service_notice") or "")


def test_request_json_round_trips_the_point_and_closes(client: Client, world: World) -> None:
    _, key = make_key(world)
    number = filed(client, key, world, lat="41.822110", long="123.410245")
    (request,) = json_body(
        client.get(f"{BASE}/requests/{number.lower().replace('-', '')}.json", {"api_key": key})
    )
    assert list(request) == REQUEST_ELEMENTS
    assert abs(request["lat"] - 41.822110) < 2e-6
    assert abs(request["long"] - 123.410245) < 2e-6
    assert request["service_code"] == "WAGE"
    assert request["service_name"] == "劳动报酬"
    assert request["status"] == "open"
    assert request["expected_datetime"] is None  # no clock runs before dispatch
    assert request["agency_responsible"] is None
    assert request["media_url"] is None
    assert request["service_notice"]
    # closed: status closed, updated_datetime is when it closed
    appeal = Appeal.all_objects.get(tracking_no=number)
    intake = world.user(Role.INTAKE)
    services.appeal_reject(appeal=appeal, actor=intake, reason="与新就业群体无关")
    (request,) = json_body(client.get(f"{BASE}/requests/{number}.json", {"api_key": key}))
    appeal.refresh_from_db()
    assert request["status"] == "closed"
    assert request["updated_datetime"] == timezone.localtime(appeal.closed_at).isoformat(timespec="seconds")


def test_updated_datetime_follows_the_timeline(client: Client, world: World) -> None:
    _, key = make_key(world, Role.INTAKE)
    appeal = appeal_in(world, world.home_community, State.IN_PROGRESS)
    (request,) = json_body(client.get(f"{BASE}/requests/{appeal.tracking_no}.json", {"api_key": key}))
    last = appeal.events.order_by("-at").first()
    assert last is not None
    assert request["updated_datetime"] == timezone.localtime(last.at).isoformat(timespec="seconds")
    assert request["updated_datetime"] >= request["requested_datetime"]


def test_no_personal_data_in_any_answer(client: Client, world: World) -> None:
    _, key = make_key(world)
    _, staff = make_key(world, Role.INTAKE)
    answers = [
        post(client, "xml", body(key, world), **{"Idempotency-Key": "k1"}),
        post(client, "json", body(key, world, description="二号"), **{"Idempotency-Key": "k2"}),
    ]
    number = json_body(answers[1])[0]["service_request_id"]
    for fmt in ("xml", "json"):
        answers += [
            client.get(f"{BASE}/requests.{fmt}", {"api_key": key}),
            client.get(f"{BASE}/requests.{fmt}", {"api_key": staff}),
            client.get(f"{BASE}/requests/{number}.{fmt}", {"api_key": staff}),
            client.get(f"{BASE}/tokens/k1.{fmt}", {"api_key": key}),
        ]
    for response in answers:
        assert response.status_code in (200, 201)
        text = response.content.decode()
        for personal in (PHONE, "139****5678", "1391234", "rider@example.com", "张"):
            assert personal not in text


# --- filters -----------------------------------------------------------------------------------------------
def test_ids_override_every_other_parameter(client: Client, world: World) -> None:
    _, key = make_key(world)
    one, two, three = (filed(client, key, world, description=f"第{n}件") for n in range(3))
    back_dated(three, 200)  # outside any window
    assert listed(client, key, service_request_id=f"{one}, {three.lower()},NOPE") == {one, three}
    assert listed(client, key, service_request_id=one, status="closed", service_code="PARKING") == {one}
    assert two not in listed(client, key, service_request_id=one)


def test_status_filter(client: Client, world: World) -> None:
    _, key = make_key(world, Role.INTAKE)
    open_ = appeal_in(world, world.home_community, State.REPLIED)
    closed = appeal_in(world, world.home_community, State.CLOSED)
    withdrawn = services.appeal_withdraw(
        appeal=appeal_in(world, world.home_community, State.IN_PROGRESS), reason="已经自行解决"
    )
    assert listed(client, key, status="open") == {open_.tracking_no}
    assert listed(client, key, status="closed") == {closed.tracking_no, withdrawn.tracking_no}
    assert listed(client, key, status="open,closed") == {
        open_.tracking_no,
        closed.tracking_no,
        withdrawn.tracking_no,
    }
    assert client.get(f"{BASE}/requests.json", {"api_key": key, "status": "pending"}).status_code == 400


def test_service_code_filter(en: Client, world: World) -> None:
    _, key = make_key(world)
    wage = filed(en, key, world)
    parking = filed(en, key, world, service_code="PARKING")
    filed(en, key, world, service_code="HEALTH")
    assert listed(en, key, service_code="WAGE") == {wage}
    assert listed(en, key, service_code="WAGE,PARKING") == {wage, parking}
    response = en.get(f"{BASE}/requests.xml", {"api_key": key, "service_code": "WAGE,NOPE"})
    assert response.status_code == 400
    assert "NOPE" in error_descriptions(response, "xml")[0]


def test_date_window(en: Client, world: World) -> None:
    _, key = make_key(world, Role.INTAKE)
    today = appeal_in(world, world.home_community, State.SUBMITTED)
    month = appeal_in(world, world.home_community, State.SUBMITTED)
    back_dated(month, 30)
    old = appeal_in(world, world.home_community, State.SUBMITTED)
    back_dated(old, 100)
    # the default: the most recent 90 days
    assert listed(en, key) == {today.tracking_no, month.tracking_no}
    now = timezone.now()

    def w3c(moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert listed(
        en, key, start_date=w3c(now - dt.timedelta(days=40)), end_date=w3c(now - dt.timedelta(days=1))
    ) == {month.tracking_no}
    # only start: 90 days from it; only end: 90 days up to it
    assert listed(en, key, start_date=w3c(now - dt.timedelta(days=115))) == {
        old.tracking_no,
        month.tracking_no,
    }
    assert listed(en, key, end_date=w3c(now - dt.timedelta(days=50))) == {old.tracking_no}
    # offsets and bare dates are read as written; an unencoded "+" arrives as a space and still parses
    local = timezone.localtime(now - dt.timedelta(days=31))
    assert month.tracking_no in listed(
        en, key, start_date=local.isoformat(timespec="seconds").replace("+", " ")
    )
    assert month.tracking_no in listed(en, key, start_date=local.date().isoformat())


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"}, "before"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_windows_are_400(en: Client, world: World, params: dict[str, str], word: str, fmt: str) -> None:
    _, key = make_key(world)
    response = en.get(f"{BASE}/requests.{fmt}", {"api_key": key, **params})
    assert response.status_code == 400
    assert word in error_descriptions(response, fmt)[0]


def test_ninety_days_exactly_is_allowed(client: Client, world: World) -> None:
    _, key = make_key(world)
    response = client.get(
        f"{BASE}/requests.json",
        {"api_key": key, "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-01T00:00:00Z"},
    )
    assert response.status_code == 200


def test_at_most_1000_requests_newest_first(client: Client, world: World) -> None:
    user, key = make_key(world)
    wage = Category.objects.get(code="WAGE")
    now = timezone.now()
    Appeal.all_objects.bulk_create(
        Appeal(
            text=f"第{n}件",
            division=world.home_community,
            phone=PHONE,
            appeal_type="complaint",
            worker_type="courier",
            channel=Channel.OPEN311,
            category=wage,
            filed_by=user,
            submitted_at=now - dt.timedelta(minutes=n),
        )
        for n in range(selectors.MAX_RESULTS + 1)
    )
    newest, oldest = (
        Appeal.all_objects.order_by(order).values_list("tracking_no", flat=True).first()
        for order in ("-submitted_at", "submitted_at")
    )
    requests = json_body(client.get(f"{BASE}/requests.json", {"api_key": key}))
    assert len(requests) == 1000
    assert requests[0]["service_request_id"] == newest
    assert oldest not in {r["service_request_id"] for r in requests}
    assert [r["requested_datetime"] for r in requests] == sorted(
        (r["requested_datetime"] for r in requests), reverse=True
    )


def test_the_list_costs_the_same_for_one_or_many(client: Client, world: World) -> None:
    _, key = make_key(world)
    listed(client, key)  # the key's last use is written on the first call only

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            listed(client, key)
        return len(queries)

    filed(client, key, world)
    one = cost()
    for n in range(5):
        filed(client, key, world, description=f"第{n}件")
    assert cost() == one <= 5


# --- tokens ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_token_is_the_idempotency_key_sent(client: Client, world: World, fmt: str) -> None:
    _, key = make_key(world)
    _, other = make_key(world)
    answer = json_body(post(client, "json", body(key, world), **{"Idempotency-Key": "order-77"}))
    response = client.get(f"{BASE}/tokens/order-77.{fmt}", {"api_key": key})
    assert response.status_code == 200
    if fmt == "xml":
        (request,) = list(xml_root(response, "service_requests"))
        assert [c.tag for c in request] == ["service_request_id", "token"]
        assert request.findtext("service_request_id") == answer[0]["service_request_id"]
        assert request.findtext("token") == "order-77"
    else:
        assert json_body(response) == [
            {"service_request_id": answer[0]["service_request_id"], "token": "order-77"}
        ]
    assert client.get(f"{BASE}/tokens/order-78.{fmt}", {"api_key": key}).status_code == 404
    assert client.get(f"{BASE}/tokens/order-77.{fmt}", {"api_key": other}).status_code == 404
