"""Reading and acting through /api/v1/appeals: who sees what (staff, platform accounts, the worker), list
filters, conflicts (409) with nothing written, the worker's own actions, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.models import AuditEvent
from tests.appeals.test_api_support import (
    BASE,
    CSRF,
    PHONE,
    appeal_in,
    bearer,
    new_body,
    partner,
    post,
    token_for,
    verified_client,
)
from tests.support.world import World

pytestmark = pytest.mark.django_db


def file_as(client: Client, raw: str, world: World, key: str, **fields: Any) -> str:
    response = post(client, BASE, new_body(world, **fields), **bearer(raw), **{"Idempotency-Key": key})
    assert response.status_code == 201, response.content
    return str(response.json()["tracking_no"])


def writes() -> tuple[int, int, int]:
    return Appeal.all_objects.count(), AppealEvent.objects.count(), AuditEvent.objects.count()


# --- platform accounts --------------------------------------------------------------------------------------
def test_partner_reads_only_what_it_filed(world: World, client: Client) -> None:
    _, raw = partner(world)
    _, other_raw = partner(world)
    own = file_as(client, raw, world, "1")
    theirs = file_as(client, other_raw, world, "2")
    worker_own = appeal_in(world, world.home_street, State.SUBMITTED).tracking_no

    detail = client.get(f"{BASE}/{own}", **bearer(raw))
    assert detail.status_code == 200
    assert detail.json()["phone"] == "139****5678"
    assert detail.json()["extension"] is None
    for tracking_no in (theirs, worker_own):
        response = client.get(f"{BASE}/{tracking_no}", **bearer(raw))
        assert response.status_code == 404
        assert tracking_no not in response.content.decode()
        assert client.get(f"{BASE}/{tracking_no}/timeline", **bearer(raw)).status_code == 404
    listed = client.get(BASE, **bearer(raw)).json()
    assert [a["tracking_no"] for a in listed["items"]] == [own]


def test_partner_cannot_act(world: World, client: Client) -> None:
    _, raw = partner(world)
    own = file_as(client, raw, world, "1")
    before = writes()
    for action, body in [("accept", {}), ("withdraw", {}), ("reject", {"reason": "x"})]:
        response = post(client, f"{BASE}/{own}/actions/{action}", body, **bearer(raw))
        assert response.status_code == 403, (action, response.content)
    assert writes() == before


def test_partner_timeline_is_the_public_one(world: World, client: Client) -> None:
    _, raw = partner(world)
    own = file_as(client, raw, world, "1")
    appeal = Appeal.all_objects.get(tracking_no=own)
    s.appeal_supervise(appeal=appeal, actor=world.user(Role.LEADER), note="尽快受理")
    staff = client.get(f"{BASE}/{own}/timeline", **bearer(token_for(world.user(Role.INTAKE)))).json()
    public = client.get(f"{BASE}/{own}/timeline", **bearer(raw)).json()
    assert [e["action"] for e in staff] == ["submit", "supervise"]
    assert staff[1]["public"] is False
    assert staff[1]["actor"]
    assert [e["action"] for e in public] == ["submit"]
    assert public[0]["actor"] is None  # staff account names stay inside


# --- staff reads --------------------------------------------------------------------------------------------
def test_staff_detail_masks_the_phone_and_hides_it_from_the_unit_when_anonymous(
    world: World, client: Client
) -> None:
    appeal = appeal_in(world, world.home_street, State.IN_PROGRESS, anonymous=True)
    intake = client.get(f"{BASE}/{appeal.tracking_no}", **bearer(token_for(world.user(Role.INTAKE))))
    assert intake.status_code == 200
    assert intake.json()["phone"] == "138****8000"
    assert PHONE not in intake.content.decode()
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    unit_view = client.get(f"{BASE}/{appeal.tracking_no}", **bearer(token_for(handler)))
    assert unit_view.status_code == 200
    assert unit_view.json()["phone"] == ""


def test_tracking_number_as_typed_is_found(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.SUBMITTED)
    typed = appeal.tracking_no.replace("-", "").lower()
    response = client.get(f"{BASE}/{typed}", **bearer(token_for(world.user(Role.INTAKE))))
    assert response.status_code == 200
    assert response.json()["tracking_no"] == appeal.tracking_no


def test_list_filters(world: World, client: Client) -> None:
    raw = token_for(world.user(Role.INTAKE))
    submitted = appeal_in(world, world.home_street, State.SUBMITTED, text="欠薪三个月")
    dispatched = appeal_in(world, world.home_community, State.DISPATCHED)
    appeal_in(world, world.away_street, State.SUBMITTED)  # out of scope: never listed

    def listed(**params: Any) -> list[str]:
        response = client.get(BASE, params, **bearer(raw))
        assert response.status_code == 200, response.content
        return [a["tracking_no"] for a in response.json()["items"]]

    assert listed() == [dispatched.tracking_no, submitted.tracking_no]
    assert listed(state="submitted") == [submitted.tracking_no]
    assert set(listed(state=["submitted", "dispatched"])) == {submitted.tracking_no, dispatched.tracking_no}
    assert listed(queue="to_sign") == [dispatched.tracking_no]
    assert listed(q="欠薪") == [submitted.tracking_no]
    assert listed(q=dispatched.tracking_no.replace("-", "")) == [dispatched.tracking_no]
    assert listed(division=world.home_community.code) == [dispatched.tracking_no]
    assert listed(unit=world.home_unit.pk) == [dispatched.tracking_no]
    assert listed(division="21") == [dispatched.tracking_no, submitted.tracking_no]  # wider than the grant
    page = client.get(BASE, {"page_size": 1, "page": 2}, **bearer(raw)).json()
    assert (page["count"], page["page"], [a["tracking_no"] for a in page["items"]]) == (
        2,
        2,
        [submitted.tracking_no],
    )
    item = client.get(BASE, {"state": "dispatched"}, **bearer(raw)).json()["items"][0]
    assert item["unit"] == {"id": world.home_unit.pk, "name": world.home_unit.name}
    assert item["due_at"] is not None  # the sign-for clock runs


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"division": "45"}, 404),  # a subtree outside the grant
        ({"division": "12345"}, 422),
        ({"state": "nonsense"}, 400),
        ({"page": 0}, 400),
        ({"page_size": 1000}, 400),
        ({"date_from": "yesterday"}, 400),
    ],
)
def test_list_refuses_bad_filters(world: World, client: Client, params: dict[str, Any], status: int) -> None:
    response = client.get(BASE, params, **bearer(token_for(world.user(Role.INTAKE))))
    assert response.status_code == status, response.content
    assert set(response.json()) == {"code", "message", "details"}


def test_list_query_count_does_not_grow_with_the_page(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    raw = token_for(world.user(Role.INTAKE))
    for _ in range(6):
        appeal_in(world, world.home_street, State.DISPATCHED)
    client.get(BASE, **bearer(raw))  # the token's first use is recorded (last_used_at), once a minute
    with django_assert_max_num_queries(4):  # token, grants, count, page (with category, unit, division)
        response = client.get(BASE, **bearer(raw))
    assert response.json()["count"] == 6


def test_categories_are_public(client: Client) -> None:
    response = client.get(f"{BASE}/categories")
    assert response.status_code == 200
    codes = [c["code"] for c in response.json()]
    assert "WAGE" in codes
    assert len(codes) >= 12


# --- actions: results, conflicts, refusals ------------------------------------------------------------------
def test_main_line_through_the_api(world: World, client: Client) -> None:
    intake = bearer(token_for(world.user(Role.INTAKE)))
    handler = bearer(token_for(world.user(Role.HANDLER, world.home, unit=world.home_unit)))
    tn = appeal_in(world, world.home_street, State.SUBMITTED).tracking_no

    def act(headers: dict[str, str], action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = post(client, f"{BASE}/{tn}/actions/{action}", body, **headers)
        assert response.status_code == 200, (action, response.content)
        return dict(response.json())

    v = act(intake, "accept", {"category": "WAGE", "urgency": "urgent", "version": 0})
    assert (v["state"], v["category"]["code"], v["urgency"], v["version"]) == (
        "accepted",
        "WAGE",
        "urgent",
        1,
    )
    v = act(intake, "dispatch", {"unit": world.home_unit.pk, "version": v["version"]})
    assert v["state"] == "dispatched"
    v = act(handler, "sign-for", {"version": v["version"]})
    v = act(handler, "contact", {"note": "已电话联系"})
    assert v["first_contact_at"] is not None
    v = act(handler, "extension", {"days": 2, "reason": "需要协调"})
    assert v["extension"]["status"] == "pending"
    leader = bearer(token_for(world.user(Role.LEADER)))
    v = act(leader, "extension-decision", {"approve": True})
    assert v["extension"]["status"] == "approved"
    v = act(handler, "reply", {"text": "已解决", "resolved": True})
    assert v["state"] == "replied"
    v = act(intake, "rate", {"resolved": True, "satisfaction": "basically_satisfied"})
    assert (v["state"], v["resolved"], v["satisfaction"]) == ("closed", True, "basically_satisfied")


def test_wrong_state_is_409_and_writes_nothing(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.ACCEPTED)
    raw = token_for(world.user(Role.INTAKE))
    before = writes()
    response = post(client, f"{BASE}/{appeal.tracking_no}/actions/accept", {}, **bearer(raw))
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert writes() == before


def test_stale_version_is_409_and_writes_nothing(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.SUBMITTED)
    raw = token_for(world.user(Role.INTAKE))
    stale = appeal.version
    s.appeal_supervise(appeal=appeal, actor=world.user(Role.LEADER), note="请尽快受理")  # version moves on
    before = writes()
    response = post(
        client,
        f"{BASE}/{appeal.tracking_no}/actions/reject",
        {"reason": "重复", "version": stale},
        **bearer(raw),
    )
    assert response.status_code == 409
    assert writes() == before
    assert Appeal.all_objects.get(pk=appeal.pk).state == State.SUBMITTED


def test_no_pending_extension_is_409(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.IN_PROGRESS)
    raw = token_for(world.user(Role.LEADER))
    response = post(
        client, f"{BASE}/{appeal.tracking_no}/actions/extension-decision", {"approve": True}, **bearer(raw)
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("action", "state", "body", "field"),
    [
        ("reject", State.SUBMITTED, {"reason": "  "}, "reason"),
        ("dispatch", State.ACCEPTED, {"unit": 999999}, "unit"),
        ("merge", State.SUBMITTED, {"into": "ZZZ-ZZZ-ZZZ"}, "into"),
        ("accept", State.SUBMITTED, {"category": "NOPE"}, "category"),
    ],
)
def test_refused_action_input_is_422_and_writes_nothing(
    world: World, client: Client, action: str, state: str, body: dict[str, Any], field: str
) -> None:
    appeal = appeal_in(world, world.home_street, state)
    raw = token_for(world.user(Role.INTAKE))
    before = writes()
    response = post(client, f"{BASE}/{appeal.tracking_no}/actions/{action}", body, **bearer(raw))
    assert response.status_code == 422, response.content
    assert field in response.json()["details"]["fields"]
    assert writes() == before


def test_dispatch_to_a_unit_outside_the_jurisdiction_is_422(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.ACCEPTED)
    raw = token_for(world.user(Role.INTAKE))
    response = post(
        client, f"{BASE}/{appeal.tracking_no}/actions/dispatch", {"unit": world.away_unit.pk}, **bearer(raw)
    )
    assert response.status_code == 422
    assert world.away_unit.name not in response.content.decode()


def test_action_schema_violation_is_400(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.REPLIED)
    raw = token_for(world.user(Role.INTAKE))
    response = post(
        client,
        f"{BASE}/{appeal.tracking_no}/actions/rate",
        {"resolved": True, "satisfaction": "meh"},
        **bearer(raw),
    )
    assert response.status_code == 400


# --- the worker's own actions -------------------------------------------------------------------------------
def test_worker_rates_and_withdraws_own_appeals_only(world: World) -> None:
    browser = verified_client(PHONE)
    replied = appeal_in(world, world.home_street, State.REPLIED)
    submitted = appeal_in(world, world.home_street, State.SUBMITTED)
    strangers = appeal_in(world, world.home_street, State.SUBMITTED, phone="13711112222")
    csrf = {"X-CSRFToken": CSRF}

    rated = post(
        browser,
        f"{BASE}/{replied.tracking_no}/actions/rate",
        {"resolved": False, "satisfaction": "dissatisfied"},
        **csrf,
    )
    assert rated.status_code == 200, rated.content
    assert rated.json()["state"] == State.IN_PROGRESS  # 重办
    assert rated.json()["redo_count"] == 1
    withdrawn = post(
        browser, f"{BASE}/{submitted.tracking_no}/actions/withdraw", {"reason": "已解决"}, **csrf
    )
    assert withdrawn.json()["state"] == State.WITHDRAWN
    event = AppealEvent.objects.get(appeal=submitted, action="withdraw")
    assert event.actor is None
    assert event.actor_label == "worker"

    before = writes()
    assert post(browser, f"{BASE}/{strangers.tracking_no}/actions/withdraw", {}, **csrf).status_code == 404
    # staff-only actions do not accept a worker session
    assert post(browser, f"{BASE}/{submitted.tracking_no}/actions/accept", {}, **csrf).status_code == 401
    assert writes() == before
    timeline = browser.get(f"{BASE}/{replied.tracking_no}/timeline").json()
    assert all(e["public"] and e["actor"] is None for e in timeline)


# --- the document ------------------------------------------------------------------------------------------
def test_openapi_documents_the_endpoints(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in (
        BASE,
        f"{BASE}/categories",
        f"{BASE}/mine",
        f"{BASE}/{{tracking_no}}",
        f"{BASE}/{{tracking_no}}/timeline",
    ):
        assert path in paths, path
    actions = {p.rsplit("/", 1)[1] for p in paths if p.startswith(f"{BASE}/{{tracking_no}}/actions/")}
    assert actions == {
        "accept",
        "reject",
        "dispatch",
        "return",
        "sign-for",
        "contact",
        "reply",
        "extension",
        "extension-decision",
        "supervise",
        "merge",
        "withdraw",
        "rate",
    }
    create = paths[BASE]["post"]
    assert {"in": "header", "name": "Idempotency-Key", "required": True}.items() <= create["parameters"][
        0
    ].items()
    assert "201" in create["responses"]
