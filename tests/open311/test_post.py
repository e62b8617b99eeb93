"""POST requests: filing through a platform enterprise's api_key, every refusal as the spec's error list with
nothing written, and retries that file once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.models import AuditEvent, IdempotencyKey, OutboxMessage
from shegong.stations.geo import gcj02_to_wgs84
from tests.open311.support import (
    PHONE,
    TEXT,
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

WGS84_POINT = {"lat": "41.822110", "long": "123.410245"}  # 皇姑区, as a phone's GPS reports it


def counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count() if m is not Appeal else Appeal.all_objects.count()
        for m in (Appeal, AppealEvent, AuditEvent, IdempotencyKey, OutboxMessage)
    }


def refused(client: Client, fmt: str, data: dict[str, Any], status: int, **headers: Any) -> list[str]:
    """POST, expect `status` with the error list, and nothing written."""
    before = counts()
    response = post(client, fmt, data, **headers)
    assert response.status_code == status, response.content[:600]
    assert counts() == before
    return error_descriptions(response, fmt)


def test_filing_xml(client: Client, world: World) -> None:
    user, key = make_key(world)
    response = post(client, "xml", body(key, world))
    assert response.status_code == 201, response.content
    root = xml_root(response, "service_requests")
    (request,) = list(root)
    assert request.tag == "request"
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    appeal = Appeal.all_objects.get()
    assert request.findtext("service_request_id") == appeal.tracking_no
    assert request.findtext("service_notice")
    assert request.find("token") is None  # realtime: a number, never a token
    assert appeal.channel == Channel.OPEN311
    assert appeal.filed_by == user
    assert appeal.division == world.home_community
    assert appeal.category is not None
    assert appeal.category.code == "WAGE"
    assert appeal.text == TEXT
    assert appeal.phone == PHONE
    assert appeal.worker_type == WorkerType.FOOD_DELIVERY
    assert appeal.appeal_type == AppealType.COMPLAINT
    assert appeal.platform == "美团"
    assert appeal.address == "北陵大街 45 号 美团皇姑站"
    assert appeal.state == State.SUBMITTED
    assert appeal.anonymous is False
    # the worker's name and email are not kept anywhere on the appeal
    assert "张" not in appeal.text
    assert "rider@example.com" not in appeal.text
    # the worker gets the tracking number by SMS, as for every filing
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_filing_json_with_coordinates_and_every_attribute(client: Client, world: World) -> None:
    _, key = make_key(world)
    data = body(
        key,
        world,
        address_string=None,
        **WGS84_POINT,
        **{
            "attribute[appeal_type]": "help",
            "attribute[worker_type]": "courier",
            "attribute[platform]": "顺丰",
            "attribute[anonymous]": "true",
            "attribute[source_ref]": "SF-2026-000123",
            "attribute[fixmystreet_id]": "991",  # a client's own extra attribute is ignored
            "media_url": "https://example.com/photo.jpg",
        },
    )
    response = post(client, "json", data)
    assert response.status_code == 201, response.content
    (answer,) = json_body(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] is None
    appeal = Appeal.all_objects.get(tracking_no=answer["service_request_id"])
    assert (appeal.appeal_type, appeal.worker_type, appeal.platform) == ("help", "courier", "顺丰")
    assert appeal.anonymous is True
    assert appeal.source_ref == "SF-2026-000123"
    assert appeal.address == ""
    # stored in GCJ-02 (what Chinese maps draw), six decimals; converting back gives the WGS-84 sent
    assert appeal.lat is not None
    assert appeal.lng is not None
    assert appeal.lat != Decimal(WGS84_POINT["lat"])
    back = gcj02_to_wgs84(float(appeal.lat), float(appeal.lng))
    assert abs(back[0] - 41.822110) < 2e-6
    assert abs(back[1] - 123.410245) < 2e-6


def test_an_intake_officers_key_may_file_too(client: Client, world: World) -> None:
    user, key = make_key(world, Role.INTAKE)
    assert post(client, "json", body(key, world)).status_code == 201
    assert Appeal.all_objects.get().filed_by == user


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_missing_or_wrong_key_is_403(en: Client, world: World, fmt: str) -> None:
    _, key = make_key(world)
    (message,) = refused(en, fmt, body(key, world, api_key=None), 403)
    assert "api_key" in message
    refused(en, fmt, body("sg_wrong", world), 403)
    _, revoked = make_key(world, revoked_at=timezone.now())
    refused(en, fmt, body(revoked, world), 403)


def test_a_key_without_the_file_permission_is_403(en: Client, world: World) -> None:
    _, volunteer = make_key(world, Role.VOLUNTEER)
    _, leader = make_key(world, Role.LEADER)  # reads appeals, does not file them
    refused(en, "json", body(volunteer, world), 403)
    refused(en, "json", body(leader, world), 403)


def test_filing_outside_the_keys_prefix_is_403(en: Client, world: World) -> None:
    _, key = make_key(world)  # 皇姑区
    refused(en, "xml", body(key, world, address_id=world.away_street.code), 403)
    refused(en, "json", body(key, world, address_id=None, jurisdiction_id=world.away.code), 403)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_no_location_is_400(en: Client, world: World, fmt: str) -> None:
    _, key = make_key(world)
    (message,) = refused(en, fmt, body(key, world, address_id=None, address_string=None), 400)
    assert "lat" in message
    assert "address_string" in message
    assert "address_id" in message
    refused(en, fmt, body(key, world, address_id=None, address_string=None, lat="41.8"), 400)


def test_lat_long_or_address_alone_files_in_a_county_keys_division(client: Client, world: World) -> None:
    _, key = make_key(world, division=world.home)  # one county
    assert (
        post(
            client, "json", body(key, world, address_id=None, address_string=None, **WGS84_POINT)
        ).status_code
        == 201
    )
    assert post(client, "json", body(key, world, address_id=None, description="另一件事")).status_code == 201
    assert {a.division_id for a in Appeal.all_objects.all()} == {world.home.code}


def test_lat_long_alone_with_a_city_wide_key_asks_for_the_division(en: Client, world: World) -> None:
    from shegong.divisions.models import Division

    city = Division.objects.get(code="210100000000")
    _, key = make_key(world, division=city)
    (message,) = refused(
        en, "json", body(key, world, address_id=None, address_string=None, **WGS84_POINT), 400
    )
    assert "address_id" in message
    # with the place named it files
    assert (
        post(
            en, "json", body(key, world, address_id=None, jurisdiction_id="210105", **WGS84_POINT)
        ).status_code
        == 201
    )


def test_places_that_are_not_divisions_or_do_not_fit(en: Client, world: World) -> None:
    _, key = make_key(world)
    assert "address_id" in refused(en, "json", body(key, world, address_id="Main St 5"), 400)[0]
    assert "jurisdiction_id" in refused(en, "json", body(key, world, jurisdiction_id="990000"), 404)[0]
    refused(en, "json", body(key, world, jurisdiction_id=world.away.code), 400)  # address_id not inside it
    refused(en, "json", body(key, world, lat="91", long="123.4"), 400)
    refused(en, "json", body(key, world, lat="north", long="123.4"), 400)
    refused(en, "json", body(key, world, lat="40.7", long="-74.0"), 400)  # outside China


def test_unknown_service_code_is_404_and_missing_is_400(en: Client, world: World) -> None:
    _, key = make_key(world)
    assert "service_code" in refused(en, "xml", body(key, world, service_code="NOPE"), 404)[0]
    assert "service_code" in refused(en, "xml", body(key, world, service_code=None), 400)[0]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("attribute[worker_type]", "astronaut"),
        ("attribute[appeal_type]", "COMPLAINT"),
        ("attribute[platform]", "某不存在的平台"),
        ("attribute[anonymous]", "yes"),
        ("attribute[source_ref]", "x" * 65),
        ("attribute[worker_type][]", ["courier", "truck"]),
    ],
)
def test_bad_attribute_values_are_400(en: Client, world: World, attribute: str, value: Any) -> None:
    _, key = make_key(world)
    data = body(
        key,
        world,
        **{"attribute[worker_type]": None} if attribute.startswith("attribute[worker_type]") else {},
    )
    data[attribute] = value
    (message,) = refused(en, "json", data, 400)
    assert attribute.removesuffix("[]") in message


def test_every_problem_is_listed_at_once(en: Client, world: World) -> None:
    _, key = make_key(world)
    data = body(
        key,
        world,
        description=None,
        phone="12345",
        **{"attribute[worker_type]": None, "attribute[appeal_type]": None},
    )
    messages = refused(en, "xml", data, 400)
    assert len(messages) == 4
    joined = " ".join(messages)
    for name in ("description", "phone", "attribute[worker_type]", "attribute[appeal_type]"):
        assert name in joined


def test_description_over_4000_characters_is_400(en: Client, world: World) -> None:
    _, key = make_key(world)
    (message,) = refused(en, "json", body(key, world, description="诉" * 4001), 400)
    assert message.startswith("description")
    assert post(en, "json", body(key, world, description="诉" * 4000)).status_code == 201


def test_retries_file_once_without_a_header(client: Client, world: World) -> None:
    _, key = make_key(world)
    first = post(client, "json", body(key, world))
    again = post(client, "xml", body(key, world))  # a retry may even ask for the other format
    assert first.status_code == again.status_code == 201
    number = json_body(first)[0]["service_request_id"]
    assert xml_root(again, "service_requests").findtext("request/service_request_id") == number
    assert Appeal.all_objects.count() == 1
    # another worker's matter is another appeal
    assert post(client, "json", body(key, world, phone="13700001111")).status_code == 201
    assert Appeal.all_objects.count() == 2


def test_a_retry_across_the_window_edge_still_files_once(
    client: Client, world: World, monkeypatch: Any
) -> None:
    _, key = make_key(world)
    start = timezone.now().replace(minute=9, second=59, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: start)
    assert post(client, "json", body(key, world)).status_code == 201
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=2))
    assert post(client, "json", body(key, world)).status_code == 201
    assert Appeal.all_objects.count() == 1
    # half an hour later the same words are a new appeal
    monkeypatch.setattr(timezone, "now", lambda: start + dt.timedelta(minutes=30))
    assert post(client, "json", body(key, world)).status_code == 201
    assert Appeal.all_objects.count() == 2


def test_idempotency_key_header(en: Client, world: World) -> None:
    _, key = make_key(world)
    first = post(en, "json", body(key, world), **{"Idempotency-Key": "req-1"})
    again = post(en, "json", body(key, world), **{"Idempotency-Key": "req-1"})
    assert json_body(first) == json_body(again)
    assert Appeal.all_objects.count() == 1
    # same key, other body: refused, as in the appeals API (there a 422; Open311 has only 400)
    (message,) = refused(
        en, "json", body(key, world, description="别的事"), 400, **{"Idempotency-Key": "req-1"}
    )
    assert "Idempotency-Key" in message
    refused(en, "json", body(key, world), 400, **{"Idempotency-Key": "x" * 201})
    # a new key files again even with the same body
    assert post(en, "json", body(key, world), **{"Idempotency-Key": "req-2"}).status_code == 201
    assert Appeal.all_objects.count() == 2


def test_keys_of_two_platforms_do_not_share_retries(client: Client, world: World) -> None:
    _, one = make_key(world)
    _, two = make_key(world)
    post(client, "json", body(one, world), **{"Idempotency-Key": "same"})
    post(client, "json", body(two, world), **{"Idempotency-Key": "same"})
    assert Appeal.all_objects.count() == 2


def test_csrf_does_not_apply(world: World) -> None:
    _, key = make_key(world)
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, "json", body(key, world)).status_code == 201
