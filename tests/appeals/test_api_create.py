"""Filing through the API: platform tokens scoped to a division prefix, Idempotency-Key semantics, the error
envelope's 400/403/422 with nothing written, and a worker's verified-phone browser session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals.choices import Channel, State
from shegong.appeals.models import Appeal, AppealEvent, Category
from shegong.appeals.verified import VERIFIED_FOR
from shegong.core import pii
from shegong.core.models import AuditEvent, IdempotencyKey
from tests.appeals.test_api_support import (
    BASE,
    CSRF,
    PHONE,
    bearer,
    new_body,
    partner,
    post,
    token_for,
    verified_client,
)
from tests.support.world import World

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "appeals": Appeal.all_objects.count(),
        "events": AppealEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "keys": IdempotencyKey.objects.count(),
    }


def test_partner_token_files_an_appeal(world: World) -> None:
    user, raw = partner(world)
    category = Category.objects.get(code="WAGE")
    body = new_body(world, category="WAGE", lat=41.8201234, lng=123.4201234, anonymous=True)
    # a real HTTP client: no CSRF cookie, only the token
    response = post(Client(enforce_csrf_checks=True), BASE, body, **bearer(raw), **{"Idempotency-Key": "k-1"})
    assert response.status_code == 201, response.content
    data = response.json()
    appeal = Appeal.all_objects.get(tracking_no=data["tracking_no"])
    assert data["state"] == State.SUBMITTED
    assert data["source_ref"] == "MT-2026-0001"
    assert data["links"] == {
        "self": f"{BASE}/{appeal.tracking_no}",
        "timeline": f"{BASE}/{appeal.tracking_no}/timeline",
    }
    assert appeal.channel == Channel.API
    assert appeal.filed_by == user
    assert appeal.source_ref == "MT-2026-0001"
    assert appeal.phone == "13912345678"
    assert appeal.category == category
    assert appeal.division == world.home_community
    assert str(appeal.lat) == "41.820123"
    assert appeal.anonymous is True
    audit = AuditEvent.objects.get(target_id=str(appeal.pk), action="appeals.appeal.submitted")
    assert audit.actor_label == user.username
    assert audit.changes["channel"] == Channel.API
    assert appeal.events.get().actor_label == user.username


def test_replay_returns_the_first_answer_and_files_once(world: World, client: Client) -> None:
    _, raw = partner(world)
    first = post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "retry-1"})
    again = post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Appeal.all_objects.count() == 1


def test_same_key_with_another_body_is_422(world: World, client: Client) -> None:
    _, raw = partner(world)
    assert post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "k"}).status_code == 201
    before = counts()
    response = post(client, BASE, new_body(world, text="另一件事"), **bearer(raw), **{"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert counts() == before


def test_keys_are_per_account(world: World, client: Client) -> None:
    _, raw_a = partner(world)
    _, raw_b = partner(world)
    a = post(client, BASE, new_body(world), **bearer(raw_a), **{"Idempotency-Key": "shared"})
    b = post(client, BASE, new_body(world), **bearer(raw_b), **{"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.json()["tracking_no"] != b.json()["tracking_no"]


def test_missing_idempotency_key_is_400_and_writes_nothing(world: World, client: Client) -> None:
    _, raw = partner(world)
    before = counts()
    response = post(client, BASE, new_body(world), **bearer(raw))
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_input"
    assert data["details"]["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert counts() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "x" * 4001}, "text"),
        ({"text": "   "}, "text"),
        ({"division": "110101999999"}, "division"),  # well-formed, but no such division
        ({"division": "abc"}, "division"),
        ({"category": "NOPE"}, "category"),
        ({"phone": "12345"}, "phone"),
        ({"phone": None}, "phone"),
        ({"source_ref": "r" * 65}, "source_ref"),
        ({"lat": 41.8}, "lat"),  # without lng
    ],
)
def test_refused_input_is_422_and_writes_nothing(
    world: World, client: Client, fields: dict[str, Any], field: str
) -> None:
    _, raw = partner(world)
    before = counts()
    response = post(client, BASE, new_body(world, **fields), **bearer(raw), **{"Idempotency-Key": "bad"})
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["code"] == "invalid_input"
    assert field in data["details"]["fields"]
    assert counts() == before


def test_a_retired_category_is_refused(world: World, client: Client) -> None:
    Category.objects.filter(code="WAGE").update(is_active=False)
    _, raw = partner(world)
    response = post(client, BASE, new_body(world, category="WAGE"), **bearer(raw), **{"Idempotency-Key": "r"})
    assert response.status_code == 422
    assert "category" in response.json()["details"]["fields"]
    assert Appeal.all_objects.count() == 0


@pytest.mark.parametrize(
    "fields",
    [{"appeal_type": "gossip"}, {"text": 12}, {"lat": 91, "lng": 10}, {"anonymous": "maybe"}],
)
def test_schema_violations_are_400(world: World, client: Client, fields: dict[str, Any]) -> None:
    _, raw = partner(world)
    response = post(client, BASE, new_body(world, **fields), **bearer(raw), **{"Idempotency-Key": "s"})
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_input"
    assert Appeal.all_objects.count() == 0


def test_body_that_is_not_json_is_400(world: World, client: Client) -> None:
    _, raw = partner(world)
    response = client.post(
        BASE,
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_IDEMPOTENCY_KEY="j",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


def test_partner_outside_its_prefix_is_403_and_writes_nothing(world: World, client: Client) -> None:
    _, raw = partner(world, world.home_street)  # scoped to one street
    before = counts()
    away = post(
        client,
        BASE,
        new_body(world, division=world.away_street.code),
        **bearer(raw),
        **{"Idempotency-Key": "a"},
    )
    county = post(
        client, BASE, new_body(world, division=world.home.code), **bearer(raw), **{"Idempotency-Key": "b"}
    )
    assert away.status_code == county.status_code == 403
    assert away.json()["code"] == "forbidden"
    assert counts() == before
    inside = post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "c"})
    assert inside.status_code == 201


def test_token_without_a_filing_permission_is_403(world: World, client: Client) -> None:
    raw = token_for(world.user(Role.LEADER))
    response = post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "x"})
    assert response.status_code == 403
    assert Appeal.all_objects.count() == 0


def test_intake_token_files_with_channel_api(world: World, client: Client) -> None:
    user = world.user(Role.INTAKE)
    response = post(client, BASE, new_body(world), **bearer(token_for(user)), **{"Idempotency-Key": "i"})
    assert response.status_code == 201
    assert Appeal.all_objects.get().filed_by == user


def test_no_credentials_is_401(world: World, client: Client) -> None:
    response = post(client, BASE, new_body(world), **{"Idempotency-Key": "n"})
    assert response.status_code == 401
    bad = post(client, BASE, new_body(world), **bearer("sg_wrong"), **{"Idempotency-Key": "n"})
    assert bad.status_code == 401
    assert Appeal.all_objects.count() == 0


def test_create_query_count_is_bounded(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    """The benchmark's path: one token lookup, no lazy loads; the count does not grow with the data."""
    _, raw = partner(world)
    post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "warm"})
    # token, grants, division, category, key lookup; appeal, event, audit, outbox (dedupe + insert), key;
    # the rest are the savepoints of the nested atomic blocks (BEGIN/COMMIT outside a test)
    with django_assert_max_num_queries(19):
        response = post(
            client, BASE, new_body(world, category="WAGE"), **bearer(raw), **{"Idempotency-Key": "q"}
        )
    assert response.status_code == 201


# --- a worker's verified-phone browser session --------------------------------------------------------------
def test_verified_phone_session_files_and_lists_mine(world: World) -> None:
    browser = verified_client(PHONE)
    body = new_body(world, phone="13999999999", source_ref="ignored")
    refused = post(browser, BASE, body, **{"Idempotency-Key": "h5-1"})
    assert refused.status_code == 403  # no CSRF token: a forged cross-site form
    assert Appeal.all_objects.count() == 0
    response = post(browser, BASE, body, **{"Idempotency-Key": "h5-1", "X-CSRFToken": CSRF})
    assert response.status_code == 201, response.content
    appeal = Appeal.all_objects.get(tracking_no=response.json()["tracking_no"])
    assert appeal.channel == Channel.H5
    assert appeal.phone == PHONE  # the session's phone, not the body's
    assert appeal.filed_by is None
    assert appeal.source_ref == ""
    replay = post(browser, BASE, body, **{"Idempotency-Key": "h5-1", "X-CSRFToken": CSRF})
    assert replay.json() == response.json()

    _, raw = partner(world)
    other = post(Client(), BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "p"}).json()
    mine = browser.get(f"{BASE}/mine")
    assert mine.status_code == 200
    assert [a["tracking_no"] for a in mine.json()["items"]] == [appeal.tracking_no]
    assert browser.get(f"{BASE}/{appeal.tracking_no}").status_code == 200
    assert browser.get(f"{BASE}/{other['tracking_no']}").status_code == 404
    assert Client().get(f"{BASE}/mine").status_code == 401


def test_verified_session_of_another_phone_sees_nothing(world: World) -> None:
    mine = post(
        verified_client(PHONE), BASE, new_body(world), **{"Idempotency-Key": "a", "X-CSRFToken": CSRF}
    )
    stranger = verified_client("13711112222")
    assert stranger.get(f"{BASE}/mine").json()["count"] == 0
    assert stranger.get(f"{BASE}/{mine.json()['tracking_no']}").status_code == 404


def test_an_expired_verification_is_401(world: World) -> None:
    browser = verified_client(PHONE)
    with time_machine.travel(timezone.now() + VERIFIED_FOR + dt.timedelta(minutes=1)):
        response = post(browser, BASE, new_body(world), **{"Idempotency-Key": "late", "X-CSRFToken": CSRF})
    assert response.status_code == 401
    assert Appeal.all_objects.count() == 0


def test_masked_phone_hash_matches_the_session(world: World) -> None:
    """The session's phone is found again in the appeal's blind index (how /mine finds it)."""
    browser = verified_client("+86 138-0013-8000")
    post(browser, BASE, new_body(world), **{"Idempotency-Key": "m", "X-CSRFToken": CSRF})
    assert Appeal.all_objects.filter(pii.pii_match("phone_hash", pii.PIIKind.PHONE, PHONE)).count() == 1
