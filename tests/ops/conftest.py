"""The `shegong` command runs in subprocesses here, each against its own temporary data folder.

Tests marked `postgres` need the test run's DATABASE_URL to be PostgreSQL; on SQLite runs they are
deselected (reported as such), never silently passed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

# Variables that would change which database or secrets a child process uses.
# DJANGO_ALLOW_ASYNC_UNSAFE: browser tests set it in this process; `serve` rightly refuses to run with it.
_CHILD_UNSET = (
    "DATABASE_URL",
    "SECRET_KEY",
    "SHEGONG_FIELD_KEY",
    "SHEGONG_DEBUG",
    "SHEGONG_PRODUCTION",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_POSTGRES:
        return
    here = Path(__file__).parent
    dropped = [i for i in items if i.get_closest_marker("postgres") and here in i.path.parents]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


def child_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_UNSET}
    env.update(SHEGONG_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **overrides)
    return env


def shegong(*args: str, data_dir: Path, check: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m shegong.cli ARGS` to completion; `check=True` fails the test on a non-zero exit."""
    proc = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "shegong.cli", *args],
        env=child_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check:
        assert proc.returncode == 0, (
            f"shegong {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every user table's rows in primary-key order, read with the plain sqlite3 module."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        result = {}
        for table in tables:
            info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or [r[1] for r in info]
            order = ", ".join(f'"{c}"' for c in pk)
            result[table] = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()  # noqa: S608
        return result
    finally:
        conn.close()


# Rows the demo does not make: a reveal audit row, a locked-out login, an API token, a user with an ID-less
# phone that we read back decrypted after the restore.
EXTRA_ROWS = """
from shegong.accounts import services
from shegong.accounts.models import LoginFailure, User
from shegong.core import audit
from shegong.core.audit import CoreAction
from shegong.divisions.models import Division
home = Division.objects.get(code="210105000000")
user = services.user_create(actor=None, username="zhang_san", password="Round-trip-2025", real_name="张三",
                            phone="139 1234 5678", division=home)
services.api_token_create(user=user, name="对接系统", actor=None)
LoginFailure.objects.create(username="nobody", failures=3)
audit.record(action=CoreAction.PII_REVEALED, target=user, changes={"field": "phone", "reason": "回访核实"})
"""

READ_PHONE = "from shegong.accounts.models import User; print(User.objects.get(username='zhang_san').phone)"


def archive_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        data: dict[str, Any] = json.load(member)
        return data


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder prepared once per module with `shegong demo --no-serve`."""
    folder = tmp_path_factory.mktemp("demo-data")
    proc = shegong("demo", "--no-serve", data_dir=folder, check=True)
    (folder / "first-run.txt").write_text(proc.stdout)
    return folder
