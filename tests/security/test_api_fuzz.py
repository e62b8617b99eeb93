"""API fuzzing: schemathesis generates requests from /api/openapi.json and sends them to the WSGI application
in-process, once per identity (every account role with a bearer token, a desk session, a worker's verified
phone session, anonymous), against a database holding a small jurisdiction with appeals, stations and audit
events so that real ids exist.

Every response must pass `not_a_server_error` (no 5xx), `ignored_auth` (an operation that declares
authentication refuses a request without it), `status_code_conformance` (the status is declared for the
operation) and `response_schema_conformance` (the body matches the declared schema, the error envelope
included). See docs/security-fuzz.md.

Each example runs in a savepoint that is rolled back, so every request sees the same database and the
result does not depend on the order of operations or examples; generation is derandomized (a fixed seed
per operation), so a failure reproduces. SHEGONG_FUZZ_EXAMPLES sets the examples per operation and
identity (default 25).
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.contrib.sessions.backends.db import SessionStore
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from shegong.accounts import services as account_services
from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.appeals import services as appeal_services
from shegong.appeals import verified
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.models import Appeal
from shegong.core import pii
from shegong.core.models import AuditEvent
from shegong.divisions.models import Division, Unit
from shegong.stations.models import Station
from tests.support.world import World

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SHEGONG_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, ignored_auth, status_code_conformance, response_schema_conformance]
WORKER_PHONE = "13800138000"


@dataclass(frozen=True)
class Identity:
    name: str
    role: str | None = None  # the account's role (token and session identities)
    via: str = "token"  # token | session | worker | anonymous


IDENTITIES = [
    *(Identity(role.value, role.value) for role in Role),
    Identity("intake-session", Role.INTAKE.value, "session"),
    Identity("worker-session", via="worker"),
    Identity("anonymous", via="anonymous"),
]


@dataclass
class Tally:
    """What one identity's run did, for the log and for the assertions."""

    operations: int = 0
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def api_schema(in_process_requests: None) -> Any:
    from shegong.config.wsgi import application

    # The settings the CLI's `--seed`/`--max-examples` would set are passed to hypothesis directly below.
    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture(scope="module")
def in_process_requests() -> Iterator[None]:
    """Requests are handled on the test's own database connection inside its transaction: stop Django from
    closing that connection at the start and end of each request (what django.test.Client does too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# --- the data the requests meet --------------------------------------------------------------------------
def _appeal(world: World, division: Division, **overrides: Any) -> Appeal:
    fields: dict[str, Any] = {
        "text": "站点拖欠我三个月的配送费，站长一直不接电话。",
        "division": division,
        "phone": WORKER_PHONE,
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.FOOD_DELIVERY,
        "channel": Channel.H5,
        "platform": "美团",
    }
    fields.update(overrides)
    return appeal_services.appeal_submit(**fields)


def _seed(world: World) -> dict[str, list[Any]]:
    """Appeals along the main line (and one out of scope), a station on each side, the audit events
    these writes leave; returns real values for each path parameter name of the API."""
    intake = world.user(Role.INTAKE)
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    submitted = _appeal(world, world.home_community)
    accepted = appeal_services.appeal_accept(appeal=_appeal(world, world.home_street), actor=intake)
    dispatched = appeal_services.appeal_dispatch(
        appeal=appeal_services.appeal_accept(appeal=_appeal(world, world.home_community), actor=intake),
        actor=intake,
        unit=world.home_unit,
    )
    in_progress = appeal_services.appeal_sign_for(
        appeal=appeal_services.appeal_dispatch(
            appeal=appeal_services.appeal_accept(appeal=_appeal(world, world.home_community), actor=intake),
            actor=intake,
            unit=world.home_unit,
        ),
        actor=handler,
    )
    replied = appeal_services.appeal_reply(
        appeal=appeal_services.appeal_sign_for(
            appeal=appeal_services.appeal_dispatch(
                appeal=appeal_services.appeal_accept(appeal=_appeal(world, world.home), actor=intake),
                actor=intake,
                unit=world.home_unit,
            ),
            actor=handler,
        ),
        actor=handler,
        text="已联系站点，配送费本周内结清。",
    )
    away = _appeal(world, world.away_street, phone="13900139000")
    appeals = [submitted, accepted, dispatched, in_progress, replied, away]
    assert replied.state == State.REPLIED
    stations = [
        _station(world.home, "皇姑区爱心驿站", 41.82, 123.42),
        _station(world.away, "青秀区爱心驿站", 22.82, 108.37),
    ]
    return {
        "tracking_no": [a.tracking_no for a in appeals],
        "user_id": list(User.objects.order_by("pk").values_list("pk", flat=True)),
        "unit_id": list(Unit.all_objects.order_by("pk").values_list("pk", flat=True)),
        "code": list(Division.objects.order_by("code").values_list("code", flat=True)),
        "station_id": [s.pk for s in stations],
        "event_id": list(AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[:20]),
    }


def _station(division: Division, name: str, lat: float, lng: float) -> Station:
    station = Station(
        name=name,
        division=division,
        address="华山路1号",
        lat=lat,
        lng=lng,
        amenities=["water"],
        opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
    )
    station.full_clean()
    station.save()
    return station


# --- credentials -----------------------------------------------------------------------------------------
def _csrf_headers(session_key: str) -> dict[str, str]:
    """A session cookie with a CSRF cookie and the matching header, as the desk's scripts send them."""
    token = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    return {"Cookie": f"sessionid={session_key}; csrftoken={token}", "X-CSRFToken": token}


def _credentials(identity: Identity, world: World) -> dict[str, str]:
    if identity.via == "anonymous":
        return {}
    if identity.via == "worker":
        store = SessionStore()
        normal = pii.normalise(pii.PIIKind.PHONE, WORKER_PHONE)
        store[verified.SESSION_KEY] = {
            "phone": pii.encrypt(normal),
            "hash": pii.blind_index(pii.PIIKind.PHONE, normal),
            "until": 4_102_444_800.0,  # 2100-01-01: the proof does not expire during the run
        }
        store.create()
        return _csrf_headers(store.session_key or "")
    assert identity.role is not None
    unit = world.home_unit if identity.role == Role.HANDLER else None
    user = world.user(identity.role, world.home, unit=unit)
    if identity.via == "session":
        from django.test import Client

        client = Client()
        client.force_login(user)
        return _csrf_headers(client.cookies["sessionid"].value)
    _token, raw = account_services.api_token_create(user=user, name=f"fuzz {identity.name}", actor=None)
    return {"Authorization": f"Bearer {raw}"}


# --- the run ---------------------------------------------------------------------------------------------
def _strategies(operation: Any, real: dict[str, list[Any]]) -> Any:
    """Positive and negative cases; path parameters are generated, or a real id (half the time)."""
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
    names = [p.name for p in operation.path_parameters]
    if names and all(name in real for name in names):
        fixed = st.fixed_dictionaries({name: st.sampled_from(real[name]) for name in names})
        strategies.append(
            fixed.flatmap(
                lambda values: operation.as_strategy(path_parameters={k: str(v) for k, v in values.items()})
            )
        )
        strategies.append(
            fixed.flatmap(
                lambda values: operation.as_strategy(path_parameters={k: str(v) for k, v in values.items()})
            )
        )
    return st.one_of(strategies)


def _fuzz_operation(
    operation: Any, headers: dict[str, str], real: dict[str, list[Any]], tally: Tally
) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same cases on every run: a failure reproduces
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=_strategies(operation, real))
    def run(case: Any) -> None:
        with transaction.atomic():
            response = case.call(headers=headers)
            tally.examples += 1
            tally.statuses[response.status_code] += 1
            try:
                case.validate_response(
                    response, checks=CHECKS, headers=headers, transport_kwargs={"headers": headers}
                )
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
        # collect every operation's failure, then fail once
        tally.failures.append(f"{operation.label}: {exc}")


@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.name)
def test_api_fuzz(
    identity: Identity,
    world: World,
    api_schema: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    real = _seed(world)
    headers = _credentials(identity, world)
    tally = Tally()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        tally.operations += 1
        _fuzz_operation(operation, headers, real, tally)
    with capsys.disabled():
        statuses = " ".join(f"{code}×{n}" for code, n in sorted(tally.statuses.items()))
        print(  # noqa: T201 — the CI log shows what ran
            f"\napi-fuzz [{identity.name}]: {tally.operations} operations × {EXAMPLES} examples max, "
            f"{tally.examples} requests; statuses {statuses}; {len(tally.failures)} failing operations"
        )
    assert tally.operations == len(operations) > 0
    assert tally.examples >= tally.operations  # every operation was exercised
    assert not tally.failures, "\n\n".join(tally.failures)
    assert not any(code >= 500 for code in tally.statuses)
