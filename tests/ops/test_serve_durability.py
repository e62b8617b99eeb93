"""`shegong serve` refuses a PostgreSQL that could lose or corrupt committed data after a crash."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.utils import translation

from shegong.ops.serve import durability_problems, show_durability
from tests.ops.conftest import ON_POSTGRES, shegong

GOOD = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


class _Cursor:
    """Answers SHOW like PostgreSQL, from a dict; records what was asked."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.asked, self._row = values, [], ("",)

    def execute(self, query: str) -> None:
        name = query.removeprefix("SHOW ").strip()
        self.asked.append(name)
        self._row = (self.values[name],)

    def fetchone(self) -> tuple[Any, ...]:
        return self._row


def test_defaults_pass() -> None:
    assert durability_problems(GOOD) == []


@pytest.mark.parametrize("value", ["on", "local", "remote_write", "remote_apply"])
def test_every_synchronous_commit_that_flushes_locally_passes(value: str) -> None:
    assert durability_problems({**GOOD, "synchronous_commit": value}) == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"), ("fsync", "")],
)
def test_each_unsafe_setting_is_named(setting: str, value: str) -> None:
    with translation.override("en"):
        problems = durability_problems({**GOOD, setting: value})
    assert len(problems) == 1
    assert f"{setting} = {value}" in problems[0]


def test_a_missing_answer_is_a_problem_not_a_pass() -> None:
    assert len(durability_problems({})) == 3


def test_show_reads_each_setting_normalised() -> None:
    cursor = _Cursor({"fsync": "ON", "synchronous_commit": " Remote_Apply ", "full_page_writes": "on"})
    assert show_durability(cursor) == {
        "fsync": "on",
        "synchronous_commit": "remote_apply",
        "full_page_writes": "on",
    }
    assert cursor.asked == ["fsync", "synchronous_commit", "full_page_writes"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_this_postgresql_server_passes() -> None:
    with connection.cursor() as cursor:
        show = show_durability(cursor)
    assert show["fsync"] == "on"
    assert durability_problems(show) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.postgres
def test_serve_refuses_a_session_with_synchronous_commit_off(tmp_path: Path) -> None:
    """PGOPTIONS reaches libpq: the app's own session runs with synchronous_commit=off, as an
    `ALTER ROLE … SET synchronous_commit = off` would make it. The check runs before the migrations check,
    so the maintenance database does."""
    assert ON_POSTGRES
    parts = urlsplit(os.environ["DATABASE_URL"])
    url = urlunsplit(parts._replace(path="/postgres"))
    env = {
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(60),
        "SHEGONG_FIELD_KEY": Fernet.generate_key().decode(),
        "PGOPTIONS": "-c synchronous_commit=off",
    }
    proc = shegong("serve", "--bind", f"127.0.0.1:{_free_port()}", data_dir=tmp_path, **env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "synchronous_commit = off" in proc.stderr
    assert "Listening at" not in proc.stdout + proc.stderr
