"""`shegong backup` / `shegong restore` on PostgreSQL (runs when the test run's DATABASE_URL is PostgreSQL).

Two scratch databases with unique names are created next to the test database and always dropped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.ops.conftest import EXTRA_ROWS, READ_PHONE, archive_manifest, shegong

pytestmark = pytest.mark.postgres


def _url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(_url("postgres"), autocommit=True)


@pytest.fixture
def scratch() -> Iterator[dict[str, str]]:
    """Two new, empty databases: {"source": url, "target": url}."""
    suffix = secrets.token_hex(4)
    names = {"source": f"shegong_bk_src_{suffix}", "target": f"shegong_bk_dst_{suffix}"}
    try:
        with _admin() as conn:
            for name in names.values():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield {role: _url(name) for role, name in names.items()}
    finally:
        with _admin() as conn:
            for name in names.values():
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows ordered by all columns, read with psycopg (independent of shegong.ops.digest)."""
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
        ]
        result = {}
        for table in tables:
            query = sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table))
            result[table] = [tuple(str(v) for v in row) for row in conn.execute(query)]
        return result


def test_round_trip_keeps_every_row(scratch: dict[str, str], tmp_path: Path) -> None:
    src, dst = scratch["source"], scratch["target"]
    shegong("manage", "migrate", data_dir=tmp_path, DATABASE_URL=src, check=True)
    shegong("seed", "demo", data_dir=tmp_path, DATABASE_URL=src, check=True)
    shegong("manage", "shell", "-c", EXTRA_ROWS, data_dir=tmp_path, DATABASE_URL=src, check=True)
    before = _rows(src)
    archive = tmp_path / "pg.tar.gz"
    shegong("backup", str(archive), data_dir=tmp_path, DATABASE_URL=src, check=True)

    manifest = archive_manifest(archive)
    assert manifest["engine"] == "postgresql"
    assert "--snapshot" in manifest["consistency"]
    assert {t: d["rows"] for t, d in manifest["tables"].items()} == {t: len(r) for t, r in before.items()}
    assert manifest["tables"]["accounts_user"]["rows"] == 9

    # Not into a database that holds data: refused, nothing changes.
    refused = shegong("restore", str(archive), data_dir=tmp_path, DATABASE_URL=src)
    assert refused.returncode == 1
    assert "accounts_user" in refused.stderr
    after_refusal = _rows(src)
    assert len(after_refusal["core_auditevent"]) == len(before["core_auditevent"]) + 1  # the backup's own row
    assert {t: r for t, r in after_refusal.items() if t != "core_auditevent"} == {
        t: r for t, r in before.items() if t != "core_auditevent"
    }

    restored = shegong("restore", str(archive), data_dir=tmp_path, DATABASE_URL=dst)
    assert restored.returncode == 0, restored.stderr
    after = _rows(dst)
    assert set(after) == set(before)
    for table, rows in before.items():
        if table == "core_auditevent":
            assert after[table][: len(rows)] == rows
            [added] = after[table][len(rows) :]
            assert "core.backup.restored" in added
        else:
            assert after[table] == rows, table
    phone = shegong("manage", "shell", "-c", READ_PHONE, data_dir=tmp_path, DATABASE_URL=dst, check=True)
    assert phone.stdout.strip().splitlines()[-1] == "13912345678"
    # The append-only trigger came back with the schema.
    with psycopg.connect(dst) as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("UPDATE core_auditevent SET action = 'x'")
