"""`shegong backup` / `shegong restore` on the embedded SQLite database: every row survives the round trip."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

import pytest

from shegong.ops import digest
from tests.ops.conftest import EXTRA_ROWS, READ_PHONE, archive_manifest, shegong, sqlite_rows


def _rewrite(
    archive: Path, target: Path, *, manifest: dict[str, Any] | None = None, damage: bool = False
) -> None:
    """Copy an archive, optionally with another manifest or a flipped byte in the database file."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            fh = src.extractfile(member)
            assert fh is not None
            data = fh.read()
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            elif member.name != "manifest.json" and damage:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo data folder with extra personal data, its backup, and the rows at backup time."""
    folder = tmp_path_factory.mktemp("backup-source")
    shegong("demo", "--no-serve", data_dir=folder, check=True)
    shegong("manage", "shell", "-c", EXTRA_ROWS, data_dir=folder, check=True)
    db = folder / "shegong.sqlite3"
    before = sqlite_rows(db)
    archive = folder / "backup.tar.gz"
    proc = shegong("backup", str(archive), data_dir=folder, check=True)
    return {"folder": folder, "db": db, "before": before, "archive": archive, "stdout": proc.stdout}


def test_manifest_describes_the_snapshot(source: dict[str, Any]) -> None:
    manifest = archive_manifest(source["archive"])
    assert manifest["format"] == "shegong-backup"
    assert manifest["format_version"] == 1
    assert manifest["engine"] == "sqlite"
    assert manifest["created_at"][-6:] == "+08:00"  # aware, in Asia/Shanghai
    assert manifest["app_version"]
    assert ["accounts", "0001_initial"] in manifest["migrations"]
    before = source["before"]
    assert {t: d["rows"] for t, d in manifest["tables"].items()} == {t: len(r) for t, r in before.items()}
    assert manifest["tables"]["accounts_user"]["rows"] == 9
    assert all(len(d["sha256"]) == 64 for d in manifest["tables"].values())
    assert (source["archive"].stat().st_mode & 0o077) == 0  # personal data: owner only


def test_backup_audit_row_is_written_after_the_snapshot(source: dict[str, Any]) -> None:
    now = sqlite_rows(source["db"])
    audit_before, audit_now = source["before"]["core_auditevent"], now["core_auditevent"]
    assert audit_now[: len(audit_before)] == audit_before
    [added] = audit_now[len(audit_before) :]
    assert "core.backup.created" in added
    assert {t: r for t, r in now.items() if t != "core_auditevent"} == {
        t: r for t, r in source["before"].items() if t != "core_auditevent"
    }


def test_restore_into_an_empty_database_keeps_every_row(source: dict[str, Any]) -> None:
    folder = source["folder"]
    target = folder / "restored.sqlite3"
    target_url = f"sqlite:///{target}"
    proc = shegong("restore", str(source["archive"]), data_dir=folder, DATABASE_URL=target_url)
    assert proc.returncode == 0, proc.stderr
    restored, before = sqlite_rows(target), source["before"]
    assert set(restored) == set(before)
    for table, rows in before.items():
        if table == "core_auditevent":
            assert restored[table][: len(rows)] == rows
            [added] = restored[table][len(rows) :]
            assert "core.backup.restored" in added
        else:
            assert restored[table] == rows, table
    # The checksums the restore verified are the ones a fresh computation gives.
    conn = sqlite3.connect(target)
    try:
        digests = digest.sqlite_digests(conn)
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    manifest = archive_manifest(source["archive"])
    assert {t: d for t, d in digests.items() if t != "core_auditevent"} == {
        t: d for t, d in manifest["tables"].items() if t != "core_auditevent"
    }
    assert journal == "wal"
    # Personal data is stored encrypted and reads back in clear with the data folder's key.
    assert not any("13912345678" in str(row) for row in restored["accounts_user"])
    phone = shegong("manage", "shell", "-c", READ_PHONE, data_dir=folder, DATABASE_URL=target_url, check=True)
    assert phone.stdout.strip().splitlines()[-1] == "13912345678"


def test_restore_refuses_a_database_that_is_not_empty(source: dict[str, Any]) -> None:
    db = source["db"]
    rows = sqlite_rows(db)
    proc = shegong("restore", str(source["archive"]), data_dir=source["folder"])
    assert proc.returncode == 1
    assert "accounts_user" in proc.stderr  # it says what the database holds
    assert sqlite_rows(db) == rows


def test_restore_accepts_a_database_with_only_an_empty_migrations_table(
    source: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "fresh.sqlite3"
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE django_migrations (id integer primary key, app text, name text, applied text)")
    conn.commit()
    conn.close()
    proc = shegong(
        "restore", str(source["archive"]), data_dir=source["folder"], DATABASE_URL=f"sqlite:///{target}"
    )
    assert proc.returncode == 0, proc.stderr
    assert len(sqlite_rows(target)["accounts_user"]) == 9


def test_a_damaged_archive_is_refused_before_the_target_is_touched(
    source: dict[str, Any], tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.tar.gz"
    _rewrite(source["archive"], damaged, damage=True)
    target = tmp_path / "target.sqlite3"
    proc = shegong("restore", str(damaged), data_dir=source["folder"], DATABASE_URL=f"sqlite:///{target}")
    assert proc.returncode == 1
    assert not target.exists() or not sqlite_rows(target)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"engine": "postgresql", "database_file": "database.pgdump"}, ["postgresql", "sqlite"]),
        ({"format_version": 2}, ["2", "1"]),
        ({"migrations": [["accounts", "0999_from_the_future"]]}, ["accounts.0999_from_the_future"]),
        ({"tables": {"accounts_user": {"rows": 1, "sha256": "0" * 64}}}, ["accounts_user"]),
    ],
    ids=["other engine", "newer format", "newer migrations", "checksums differ"],
)
def test_restore_refuses_a_backup_it_cannot_restore_faithfully(
    source: dict[str, Any], tmp_path: Path, change: dict[str, Any], words: list[str]
) -> None:
    manifest = {**archive_manifest(source["archive"]), **change}
    if change.get("engine") == "postgresql":
        # Keep the file name consistent with the claimed engine.
        archive = tmp_path / "other.tar.gz"
        with tarfile.open(source["archive"], "r:gz") as src, tarfile.open(archive, "w:gz") as dst:
            for member in src.getmembers():
                fh = src.extractfile(member)
                assert fh is not None
                data = json.dumps(manifest).encode() if member.name == "manifest.json" else fh.read()
                member.name = member.name if member.name == "manifest.json" else "database.pgdump"
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
    else:
        archive = tmp_path / "changed.tar.gz"
        _rewrite(source["archive"], archive, manifest=manifest)
    target = tmp_path / "target.sqlite3"
    proc = shegong("restore", str(archive), data_dir=source["folder"], DATABASE_URL=f"sqlite:///{target}")
    assert proc.returncode == 1
    assert all(word in proc.stderr.lower() for word in words), proc.stderr
    assert not target.exists() or not sqlite_rows(target)


def test_backup_never_overwrites_a_file(source: dict[str, Any]) -> None:
    archive = source["archive"]
    content = archive.read_bytes()
    proc = shegong("backup", str(archive), data_dir=source["folder"])
    assert proc.returncode == 1
    assert str(archive) in proc.stderr
    assert archive.read_bytes() == content


def test_restore_of_a_file_that_is_not_a_backup(source: dict[str, Any], tmp_path: Path) -> None:
    bogus = tmp_path / "notes.tar.gz"
    bogus.write_text("hello")
    proc = shegong(
        "restore", str(bogus), data_dir=source["folder"], DATABASE_URL=f"sqlite:///{tmp_path}/t.db"
    )
    assert proc.returncode == 1
    assert str(bogus) in proc.stderr
