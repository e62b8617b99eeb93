"""Fixtures of the authorization matrix: the World, one user (and API token) per role, built once per
module in an outer transaction; each case's two objects built once in a savepoint inside it."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings

from shegong.accounts import services as account_services
from shegong.accounts.choices import Role
from shegong.appeals.verified import mark_verified
from tests.security.matrix.registry import SIDES, WORKER, WORKER_PHONE, Fx, load_all
from tests.support.world import build_world

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def marker_for(index: int, side: str) -> str:
    """A string no page contains by chance; fixed width so that no marker is a prefix of another."""
    return f"MX{index:04d}{side.upper()}Q"


@pytest.fixture(scope="module")
def matrix_fx(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fx]:
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            users: dict[str, Any] = {}
            tokens: dict[str, str] = {}
            for role in Role:
                unit = world.home_unit if role == Role.HANDLER else None
                user = world.user(role, world.home, unit=unit)
                users[str(role)] = user
                tokens[str(role)] = account_services.api_token_create(user=user, name="matrix", actor=None)[1]
            intake = world.nationwide(Role.INTAKE)
            fx = Fx(world=world, users=users, tokens=tokens, intake=intake)
            # users a case's build may need, made here, outside the cases' savepoints (a user created in
            # one case's savepoint would be gone, yet cached, in the next case)
            fx.handler("out")
            fx.nationwide_leader()
            for role in Role:
                fx.staff(role, "out")
            # one session per principal, made once (a test's own changes to it roll back with the test)
            for role, user in users.items():
                client = Client()
                client.force_login(user)
                fx.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            store = import_module(settings.SESSION_ENGINE).SessionStore()
            mark_verified(SimpleNamespace(session=store), WORKER_PHONE)  # type: ignore[arg-type]
            store.save()
            fx.sessions[WORKER] = store.session_key
            yield fx
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def case_objects(request: pytest.FixtureRequest, matrix_fx: Fx, django_db_blocker: Any) -> Iterator[Any]:
    """(case, {side: obj}, {side: marker}) for the case id in request.param, in a savepoint."""
    cases = load_all()
    case = cases[request.param]
    index = list(cases).index(request.param)
    markers = {side: marker_for(index, side) for side in SIDES}
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        savepoint = transaction.savepoint()
        try:
            objects = {side: case.build(matrix_fx, side, markers[side]) for side in SIDES}
            yield case, objects, markers
        finally:
            transaction.savepoint_rollback(savepoint)
