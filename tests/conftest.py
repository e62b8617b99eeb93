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
    yield
    calendar.invalidate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # Production PBKDF2 costs ~0.3 s a hash and tests create hundreds of users; the policies under test
    # (lockout, sessions, rotation) do not depend on the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
