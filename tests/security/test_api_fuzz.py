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
per operation), so a failure reproduces. SHEGONG_FUZZ_EXAMPLES sets the examples generated per operation
(default 25); each is sent as every identity.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.contrib.sessions.backends.db import SessionStore
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
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
    failed: int = 0  # requests that failed a check
    failures: list[str] = field(default_factory=list)  # the first few messages


@pytest.fixture(scope="module")
def api_schema(in_process_requests: None) -> Any:
    from shegong.config.wsgi import application

    # the schema as a client gets it: served by the application, not built from the API object
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
def _appeal(division: Division, **overrides: Any) -> Appeal:
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
    submitted = _appeal(world.home_community)
    accepted = appeal_services.appeal_accept(appeal=_appeal(world.home_street), actor=intake)
    dispatched = appeal_services.appeal_dispatch(
        appeal=appeal_services.appeal_accept(appeal=_appeal(world.home_community), actor=intake),
        actor=intake,
        unit=world.home_unit,
    )
    in_progress = appeal_services.appeal_sign_for(
        appeal=appeal_services.appeal_dispatch(
            appeal=appeal_services.appeal_accept(appeal=_appeal(world.home_community), actor=intake),
            actor=intake,
            unit=world.home_unit,
        ),
        actor=handler,
    )
    replied = appeal_services.appeal_reply(
        appeal=appeal_services.appeal_sign_for(
            appeal=appeal_services.appeal_dispatch(
                appeal=appeal_services.appeal_accept(appeal=_appeal(world.home), actor=intake),
                actor=intake,
                unit=world.home_unit,
            ),
            actor=handler,
        ),
        actor=handler,
        text="已联系站点，配送费本周内结清。",
    )
    away = _appeal(world.away_street, phone="13900139000")
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
@dataclass(frozen=True)
class Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def declared(self) -> dict[str, str]:
        """The headers as `ignored_auth` should see them: the session cookie counts as explicit auth, and
        its probes resend the request without it (the cookie travels in the call's cookies, not the case)."""
        if not self.cookies:
            return self.headers
        return {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}


def _session(session_key: str) -> Credentials:
    """A session cookie with a CSRF cookie and the matching header, as the desk's scripts send them."""
    token = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    return Credentials(headers={"X-CSRFToken": token}, cookies={"sessionid": session_key, "csrftoken": token})


def _credentials(identity: Identity, world: World) -> Credentials:
    if identity.via == "anonymous":
        return Credentials()
    if identity.via == "worker":
        store = SessionStore()
        normal = pii.normalise(pii.PIIKind.PHONE, WORKER_PHONE)
        store[verified.SESSION_KEY] = {
            "phone": pii.encrypt(normal),
            "hash": pii.blind_index(pii.PIIKind.PHONE, normal),
            "until": 4_102_444_800.0,  # 2100-01-01: the proof does not expire during the run
        }
        store.create()
        return _session(store.session_key or "")
    assert identity.role is not None
    unit = world.home_unit if identity.role == Role.HANDLER else None
    user = world.user(identity.role, world.home, unit=unit)
    if identity.via == "session":
        client = Client()
        client.force_login(user)
        return _session(client.cookies["sessionid"].value)
    _token, raw = account_services.api_token_create(user=user, name=f"fuzz {identity.name}", actor=None)
    return Credentials(headers={"Authorization": f"Bearer {raw}"})


# --- the run ---------------------------------------------------------------------------------------------
def _operations() -> list[tuple[str, str]]:
    from shegong.config.api import api

    paths = api.get_openapi_schema()["paths"]
    return [(method.upper(), path) for path, operations in paths.items() for method in operations]


OPERATIONS = _operations()


def _strategies(operation: Any, real: dict[str, list[Any]]) -> Any:
    """Positive and negative cases; path parameters are generated, or real ids (half the time)."""
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in real for name in names):
        fixed = st.fixed_dictionaries({name: st.sampled_from(real[name]) for name in names})
        for mode in modes:
            strategies.append(
                fixed.flatmap(
                    lambda values, mode=mode: operation.as_strategy(
                        generation_mode=mode, path_parameters={k: str(v) for k, v in values.items()}
                    )
                )
            )
    return st.one_of(strategies)


def _send(case: Any, creds: Credentials, tally: Tally) -> None:
    """One request as one identity, checked, in a savepoint that is rolled back."""
    # The case is shared by every identity: put back what a call adds to it (a session cookie).
    generated, generated_cookies = dict(case.headers or {}), dict(case.cookies or {})
    if creds.cookies:
        # OpenAPI's security is "any of": a generated (invalid) bearer header beside a valid session is
        # answered on the session, which ignored_auth would take for an accepted invalid token
        case.headers = {k: v for k, v in generated.items() if k.lower() != "authorization"}
    try:
        with transaction.atomic():
            try:
                response = case.call(headers=creds.headers, cookies=creds.cookies)
                tally.examples += 1
                tally.statuses[response.status_code] += 1
                case.validate_response(
                    response,
                    checks=CHECKS,
                    headers=creds.declared(),
                    transport_kwargs={"headers": creds.headers},
                )
            finally:
                transaction.set_rollback(True)
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
        tally.failed += 1
        if len(tally.failures) < 3:  # the first few are enough to act on
            tally.failures.append(str(exc)[:3000])
    finally:
        case.headers, case.cookies = generated, generated_cookies


@dataclass
class FuzzLog:
    """Per identity, over the whole module: printed at the end so the CI log shows what ran."""

    operations: int = 0
    by_identity: dict[str, Tally] = field(default_factory=dict)

    def add(self, name: str, tally: Tally) -> None:
        total = self.by_identity.setdefault(name, Tally())
        total.operations += 1
        total.examples += tally.examples
        total.statuses.update(tally.statuses)
        total.failed += tally.failed


@pytest.fixture(scope="module")
def fuzz_log(request: pytest.FixtureRequest) -> Iterator[FuzzLog]:
    log = FuzzLog()
    yield log
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not log.by_identity:
        return
    with capture.global_and_fixture_disabled():  # the CI log shows what ran, passing or not
        reporter.write_line("")
        reporter.write_line(
            f"api-fuzz: {log.operations} operations × {len(log.by_identity)} identities, "
            f"at most {EXAMPLES} examples each (SHEGONG_FUZZ_EXAMPLES)"
        )
        for name, tally in log.by_identity.items():
            statuses = " ".join(f"{code}×{n}" for code, n in sorted(tally.statuses.items()))
            reporter.write_line(
                f"  {name:<16} {tally.operations} operations, {tally.examples} requests, "
                f"{tally.failed} failed; statuses {statuses}"
            )


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz(method: str, path: str, world: World, api_schema: Any, fuzz_log: FuzzLog) -> None:
    operation = api_schema[path][method]
    real = _seed(world)
    logins = [(identity, _credentials(identity, world)) for identity in IDENTITIES]
    tallies = {identity.name: Tally() for identity in IDENTITIES}

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
        for identity, creds in logins:  # the same case as every identity
            _send(case, creds, tallies[identity.name])

    run()
    fuzz_log.operations += 1
    for name, tally in tallies.items():
        fuzz_log.add(name, tally)
    failures = [f"[{name}] {text}" for name, tally in tallies.items() for text in tally.failures]
    assert not failures, f"{operation.label}:\n\n" + "\n\n".join(failures)
    server_errors = {name: t.statuses for name, t in tallies.items() if any(c >= 500 for c in t.statuses)}
    assert not server_errors
    assert all(tally.examples > 0 for tally in tallies.values())  # every identity sent requests


def test_every_operation_of_the_served_schema_is_fuzzed(api_schema: Any) -> None:
    """The parametrisation comes from the API object; the run loads /api/openapi.json: the same list."""
    served = {(op.method.upper(), op.path) for op in (r.ok() for r in api_schema.get_all_operations())}
    assert served == set(OPERATIONS)
    assert len(OPERATIONS) == len(set(OPERATIONS)) > 0


# --- what the fuzzing found, pinned ------------------------------------------------------------------------
def _token(world: World, role: str) -> str:
    _token, raw = account_services.api_token_create(user=world.user(role), name="fuzz", actor=None)
    return f"Bearer {raw}"


def test_a_nul_in_the_query_is_a_400_not_a_database_error(world: World, client: Client) -> None:
    """PostgreSQL text cannot hold NUL: a search for one was a 500 there (found on GET /api/v1/stations)."""
    auth = _token(world, Role.PLATFORM_ADMIN)
    response = client.get("/api/v1/accounts/users", {"q": "张\x00"}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert client.get("/api/v1/accounts/users", {"q": "张"}, HTTP_AUTHORIZATION=auth).status_code == 200


def test_a_nul_in_a_json_body_is_a_400_and_a_typed_backslash_is_not(world: World, client: Client) -> None:
    auth = _token(world, Role.INTAKE)
    target = world.user(Role.VOLUNTEER)
    url = f"/api/v1/accounts/users/{target.pk}/reveal-phone"
    nul = client.post(
        url, '{"reason": "核实身份\\u0000"}', content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert nul.status_code == 400
    assert nul.json()["code"] == "invalid_input"
    typed = client.post(
        url, '{"reason": "核实身份 \\\\u0000"}', content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert typed.status_code != 400  # a literal backslash and "u0000" is text like any other
