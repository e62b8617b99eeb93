"""The authorization matrix: every endpoint × every role (and anonymous) × an object inside and outside the
role's grant. See README.md for how to register a case for a new endpoint."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.core.models import AuditEvent
from tests.security.matrix import allowlist
from tests.security.matrix.endpoints import UNSAFE_METHODS, walk
from tests.security.matrix.registry import (
    ANON,
    NOT_LOGGED_IN,
    ROLES,
    SIDES,
    Case,
    Fx,
    call_with,
    load_all,
)

CASES = load_all()
ENDPOINTS = {e.key: e for e in walk()}
LOGIN = "/accounts/login/"


# --- helpers ---------------------------------------------------------------------------------------------
def send(case: Case, client: Client, obj: Any, fx: Fx, *, key: str | None = None, **extra: Any) -> Any:
    url = call_with(case.url, obj, fx)
    data = call_with(case.payload, obj, fx) if case.payload else None
    if key is not None:
        data = {**(data or {}), "api_key": key}
    if case.headers:
        extra.update(call_with(case.headers, obj, fx))
    method = getattr(client, case.method)
    if case.method == "get":
        return method(url, data or {}, **extra)
    if case.api and not case.multipart:
        return method(
            url, json.dumps(data if data is not None else {}), content_type="application/json", **extra
        )
    if isinstance(data, (str, bytes)):
        return method(url, data, content_type="application/octet-stream", **extra)
    return method(url, data or {}, **extra)


def body_of(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # an xlsx export: read the sheets' XML
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"\n".join(archive.read(name) for name in archive.namelist())
    # a header can carry data too (Content-Disposition of an export or attachment)
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return headers + "\n" + content.decode("utf-8", errors="replace")


def counts(case: Case) -> dict[str, int]:
    models = (AuditEvent, *case.watch)
    return {m._meta.label: getattr(m, "all_objects", m._default_manager).count() for m in models}


def client_as(role: str, fx: Fx, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if role != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = fx.sessions[role]
    return client


def first_ok_role(case: Case) -> str | None:
    staff = [r for r in ROLES if r in case.ok and r not in NOT_LOGGED_IN]
    return staff[0] if staff else None


def describe(response: Any) -> str:
    location = response.get("Location", "")
    return f"status {response.status_code} {location} {body_of(response)[-400:]!r}"


# --- (a) coverage ----------------------------------------------------------------------------------------
def required_keys() -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for endpoint in ENDPOINTS.values():
        if allowlist.excluded(endpoint.key):
            continue
        methods = endpoint.methods - {"HEAD", "OPTIONS"}
        for method in sorted(methods) or ["GET"]:
            keys.add((endpoint.key, method))
    return keys


def test_every_endpoint_has_a_case() -> None:
    covered = {case.coverage_key for case in CASES.values()}
    gaps = sorted(k for k in required_keys() - covered if allowlist.not_yet_covered(k[0]))
    if gaps:
        print("NOT YET COVERED (allow-listed gaps):", *(f"{k} {m}" for k, m in gaps), sep="\n  ")
    missing = sorted(
        k
        for k in required_keys() - covered
        if not allowlist.pending(k[0]) and not allowlist.not_yet_covered(k[0])
    )
    pending = sorted(k for k in required_keys() - covered if allowlist.pending(k[0]))
    if pending:
        print("PENDING (allow-listed, to be closed):", *(f"{k} {m}" for k, m in pending), sep="\n  ")
    assert not missing, "endpoints without a matrix case:\n" + "\n".join(f"  {k} {m}" for k, m in missing)


def test_no_case_for_an_endpoint_that_does_not_exist() -> None:
    stale = sorted(
        case.id
        for case in CASES.values()
        if case.endpoint not in ENDPOINTS
        or (ENDPOINTS[case.endpoint].methods and case.method.upper() not in ENDPOINTS[case.endpoint].methods)
    )
    assert not stale, f"cases naming no served endpoint/method: {stale}"


def test_allow_list_entries_match_served_endpoints() -> None:
    """An EXCLUDED or PENDING pattern matching no served endpoint is stale: remove it."""
    keys = list(ENDPOINTS)
    for table in (allowlist.EXCLUDED, allowlist.PENDING, allowlist.NOT_YET_COVERED):
        for pattern in table:
            assert any(re.fullmatch(pattern, k) for k in keys), (
                f"allow-list entry {pattern!r} matches nothing"
            )


# --- (b) the matrix --------------------------------------------------------------------------------------
MATRIX = [(cid, role, side) for cid in CASES for role in ROLES for side in SIDES]


@pytest.mark.django_db
@pytest.mark.parametrize("case_objects", list(CASES), indirect=True, scope="module")
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(case_objects: Any, role: str, side: str, matrix_fx: Fx) -> None:
    case, objects, markers = case_objects
    if case.credential == "api_key":  # Open311: the caller is a key, never a session
        client = client_as(ANON, matrix_fx)
        key = matrix_fx.tokens.get(role)
    else:
        client, key = client_as(role, matrix_fx), None
    before = counts(case)
    response = send(case, client, objects[side], matrix_fx, key=key)
    expected = case.expected(role, side)
    if os.environ.get("MATRIX_DISCOVER"):  # development aid: record what each call answered
        with open(os.environ["MATRIX_DISCOVER"], "a") as out:
            out.write(f"{case.id}\t{role}\t{side}\t{response.status_code}\t{sorted(expected)}\n")
        return
    assert response.status_code in expected, (
        f"{case.id} as {role} on {side}-scope object: {describe(response)}"
    )
    if (
        role in NOT_LOGGED_IN
        and response.status_code == 302
        and role not in case.ok
        and role not in case.per_role
    ):
        assert response["Location"].startswith(LOGIN), response["Location"]
    if not case.shows_out:
        assert markers["out"] not in body_of(response), (
            f"{case.id} as {role} ({side}) shows the out-of-scope object"
        )
    # refused: an error status, or a caller who is not logged in being sent to the login page
    refused = response.status_code >= 400 or (
        response.status_code == 302
        and role in NOT_LOGGED_IN
        and role not in case.ok
        and role not in case.per_role
    )
    # the out object: nothing is written unless the case says this role succeeds there too (a worker
    # files in any place)
    allowed_out = response.status_code < 400 and role in case.out_per_role
    if refused or (side == "out" and not case.shows_out and not case.listing and not allowed_out):
        assert counts(case) == before, f"{case.id} as {role} ({side}) wrote although refused"


# --- (c) cross-cutting: CSRF on pages and on session API calls, bearer tokens exempt ------------------------
def _csrf_cases() -> list[str]:
    out = []
    for cid, case in CASES.items():
        if case.csrf_exempt:
            continue
        if case.method.upper() in UNSAFE_METHODS:
            out.append(cid)
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("case_objects", _csrf_cases(), indirect=True, scope="module")
def test_unsafe_method_without_csrf_token_is_refused(case_objects: Any, matrix_fx: Fx) -> None:
    case, objects, _ = case_objects
    role = first_ok_role(case) or str(Role.VOLUNTEER)
    client = client_as(role, matrix_fx, enforce_csrf_checks=True)
    before = counts(case)
    response = send(case, client, objects["in"], matrix_fx)
    assert response.status_code == 403, f"{case.id} as {role} without CSRF token: {describe(response)}"
    assert counts(case) == before


def _probe_cases() -> list[str]:
    """GET cases of pages whose view does not restrict methods: a POST must still need the CSRF token."""
    out = []
    for cid, case in CASES.items():
        endpoint = ENDPOINTS.get(case.endpoint)
        unrestricted = endpoint and not endpoint.api and not endpoint.methods
        if unrestricted and case.method == "get" and not case.csrf_exempt:
            out.append(cid)
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("case_objects", _probe_cases(), indirect=True, scope="module")
def test_post_to_a_page_without_csrf_token_is_refused(case_objects: Any, matrix_fx: Fx) -> None:
    case, objects, _ = case_objects
    role = first_ok_role(case) or str(Role.VOLUNTEER)
    client = client_as(role, matrix_fx, enforce_csrf_checks=True)
    before = counts(case)
    response = client.post(call_with(case.url, objects["in"], matrix_fx), {})
    assert response.status_code in {403, 405}, f"POST {case.id} as {role} without CSRF: {describe(response)}"
    assert counts(case) == before


def _bearer_cases() -> list[str]:
    return [cid for cid, c in CASES.items() if c.api and c.bearer and first_ok_role(c)]


@pytest.mark.django_db
@pytest.mark.parametrize("case_objects", _bearer_cases(), indirect=True, scope="module")
@pytest.mark.parametrize("side", SIDES)
def test_api_bearer_token_acts_with_the_role_and_needs_no_csrf(
    case_objects: Any, side: str, matrix_fx: Fx
) -> None:
    case, objects, markers = case_objects
    role = first_ok_role(case)
    assert role is not None
    client = Client(enforce_csrf_checks=True)
    response = send(
        case, client, objects[side], matrix_fx, HTTP_AUTHORIZATION=f"Bearer {matrix_fx.tokens[role]}"
    )
    # the bearer token acts as the role; endpoints that refuse sessions (session=False) accept it
    expected = replace(case, session=True).expected(role, side)
    assert response.status_code in expected, f"{case.id} bearer {role} ({side}): {describe(response)}"
    if not case.shows_out:
        assert markers["out"] not in body_of(response)


# --- the Django admin (allow-listed above): staff only -----------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/admin/", "/admin/core/calendarday/", "/admin/auth/group/add/"])
def test_admin_is_staff_only(role: str, path: str, matrix_fx: Fx) -> None:
    client = client_as(role, matrix_fx)
    response = client.get(path)
    assert response.status_code == 302, describe(response)
    assert response["Location"].startswith("/admin/login/"), response["Location"]
    # the admin's own login form is replaced by a redirect to the platform's login page
    response = client.get(response["Location"])
    assert response.status_code == 302, describe(response)
    assert response["Location"].startswith(LOGIN), response["Location"]


@pytest.mark.django_db
def test_admin_lets_a_superuser_in(matrix_fx: Fx) -> None:
    admin = User.objects.create_superuser(username="matrix-root", password=None)
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/calendarday/").status_code == 200
