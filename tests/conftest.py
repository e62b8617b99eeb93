"""Test-wide fixtures. Tests block the network: only loopback connections are allowed."""

from __future__ import annotations

import socket

import pytest

from tests.support.world import World, build_world

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (
        host in {"localhost", "::1"} or host.startswith("127.") or host.startswith("/")
    ) and self.family != socket.AF_UNIX:
        raise RuntimeError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture
def world(db: None) -> World:
    return build_world()
