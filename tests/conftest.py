"""Test-wide fixtures. Tests block the network: only loopback connections are allowed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.world import World, build_world

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and not (host in {"localhost", "::1"} or host.startswith("127.") or host.startswith("/"))
        and self.family != socket.AF_UNIX
    ):
        raise RuntimeError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _fresh_calendar(request: pytest.FixtureRequest) -> Iterator[None]:
    """The working-day calendar caches per process; a test's rollback sends no signal, so reset it around
    each test. A transactional test's flush also empties the seeded holiday table; reload it from the
    package then, as the data migration did."""
    from shegong.core import calendar

    calendar.invalidate()
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames
    ):
        request.getfixturevalue("transactional_db")
        from shegong.core.models import CalendarYear

        if not CalendarYear.objects.exists():
            calendar.load_from_package(actor=None, actor_label="tests")
            calendar.invalidate()
        _reseed_appeal_categories()
    yield
    calendar.invalidate()


def _reseed_appeal_categories() -> None:
    """A transactional test's flush also empties the categories and time limits a data migration seeded;
    put them back the same way (the migration's own function)."""
    import importlib

    from django.apps import apps

    from shegong.appeals.models import Category

    if not Category.objects.exists():
        migration = importlib.import_module("shegong.appeals.migrations.0002_seed_categories_and_time_limits")
        migration.seed(apps, None)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # Production PBKDF2 costs ~0.3 s a hash and tests create hundreds of users; the policies under test
    # (lockout, sessions, rotation) do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
