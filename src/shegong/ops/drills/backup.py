"""The backup drill: the real `shegong backup` and `shegong restore` on a fresh database of each engine.

Per engine (a SQLite file in a temporary folder; a PostgreSQL database of its own, `drill_backup_src_…`,
on the server of DATABASE_URL or 127.0.0.1:5432, dropped at the end):

1. `shegong manage migrate` and `shegong seed demo` (divisions, units, accounts, appeals with their
   history, stations, hotspots) in child processes with a production-like environment of their own;
2. every table's row count and checksum (shegong.ops.digest, plain drivers) — the source as it is;
3. `shegong backup FILE`;
4. `shegong restore FILE` into an EMPTY database of the same engine (a new file; `drill_backup_dst_…`);
5. the restored tables against the source (the audit table up to the source's last row: the restore adds
   its own "backup restored" row, exactly one), the manifest against the source, a second restore into
   the now full database refused, and an encrypted phone number read back with the same field key.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.utils.translation import gettext as _

from shegong.appeals.bench import server as bench_server
from shegong.ops import digest
from shegong.ops.drills import DrillError
from shegong.ops.drills.checks import AUDIT_TABLE, BackupVerdict, verify_backup

ENGINES = ("sqlite", "postgresql")
# demo_admin's phone as shegong.ops.demo_data writes it: stored encrypted, read back through the model.
_PHONE_CHECK = (
    "from shegong.accounts.models import User; print(User.objects.get(username='demo_admin').phone)",
    "13800000001",
)


@dataclass(frozen=True)
class Options:
    engines: tuple[str, ...] = ENGINES
    server: str = ""  # PostgreSQL maintenance database URL; default: DATABASE_URL's server or the local one
    keep: bool = False


@dataclass
class _Databases:
    source: str  # DATABASE_URL of each
    target: str


def run(options: Options, say: Callable[[str], None]) -> tuple[str, bool]:
    """Run the drill for each engine; return the JSON result line and whether everything held."""
    result: dict[str, Any] = {"drill": "backup"}
    ok = True
    for engine in options.engines:
        workdir = Path(tempfile.mkdtemp(prefix=f"shegong-drill-backup-{engine}-"))
        try:
            with _databases(engine, workdir, options) as databases:
                summary, held = _drill(engine, databases, workdir, say)
        finally:
            if options.keep:
                say(_("kept: {path}").format(path=workdir))
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        result[engine] = summary
        ok = ok and held
    return json.dumps(result, ensure_ascii=False), ok


@contextmanager
def _databases(engine: str, workdir: Path, options: Options) -> Iterator[_Databases]:
    if engine == "sqlite":
        yield _Databases(
            f"sqlite:///{workdir / 'source.sqlite3'}", f"sqlite:///{workdir / 'restored.sqlite3'}"
        )
        return
    admin = options.server or bench_server.server_url(os.environ.get("DATABASE_URL"))
    suffix = secrets.token_hex(4)
    names = [f"drill_backup_src_{suffix}", f"drill_backup_dst_{suffix}"]
    try:
        for name in names:
            bench_server.recreate_database(admin, name)
    except psycopg.Error as exc:
        raise DrillError(
            _("Cannot create the drill's databases on {server}: {error}").format(server=admin, error=exc)
        ) from exc
    try:
        yield _Databases(
            bench_server.with_database(admin, names[0]), bench_server.with_database(admin, names[1])
        )
    finally:
        if options.keep:
            print(_("kept: databases {names}").format(names=", ".join(names)), file=sys.stderr)
        else:
            for name in names:
                bench_server.drop_database(admin, name)


def _drill(
    engine: str, db: _Databases, workdir: Path, say: Callable[[str], None]
) -> tuple[dict[str, Any], bool]:
    started = time.monotonic()
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[engine]
    base = bench_server.production_env(database_url=db.source, data_dir=workdir / "data", workers=1)
    source_env = dict(base)
    target_env = {**base, "DATABASE_URL": db.target}
    log = workdir / "commands.log"
    say(_("{engine}: migrate and seed the demo data into {url}").format(engine=name, url=_safe(db.source)))
    _shegong(["manage", "migrate", "--verbosity", "0"], source_env, log)
    _shegong(["seed", "demo"], source_env, log)
    before = digests(engine, db.source)
    last_audit = _max_id(engine, db.source, AUDIT_TABLE)
    archive = workdir / "backup.tar.gz"
    say(_("{engine}: shegong backup {file}").format(engine=name, file=archive))
    _shegong(["backup", str(archive)], source_env, log)
    manifest = _manifest(archive)
    say(
        _("{engine}: shegong restore {file} into an empty database {url}").format(
            engine=name, file=archive.name, url=_safe(db.target)
        )
    )
    _shegong(["restore", str(archive)], target_env, log)
    verdict = verify_backup(
        before=before,
        manifest=manifest["tables"],
        restored=digests(engine, db.target, upto={AUDIT_TABLE: last_audit}),
        restored_all=digests(engine, db.target),
    )
    _print_tables(say, verdict)
    again = _shegong(["restore", str(archive)], target_env, log, check=False)
    refused = again.returncode != 0
    phone = _shegong(["manage", "shell", "-c", _PHONE_CHECK[0]], target_env, log).stdout.strip().splitlines()
    readable = bool(phone) and phone[-1] == _PHONE_CHECK[1]
    say(
        _(
            "{engine}: {tables} tables, {rows} rows; differing tables {bad}; manifest differs in {manifest}; "
            "rows the restore added to the audit log {audit} (want 1); restore into the full database "
            "refused: {refused}; encrypted phone readable after restore: {readable}"
        ).format(
            engine=name,
            tables=len(verdict.tables),
            rows=verdict.rows,
            bad=", ".join(verdict.differing) or "-",
            manifest=", ".join(verdict.manifest_differs) or "-",
            audit=verdict.restore_audit_rows,
            refused=_yes(refused),
            readable=_yes(readable),
        )
    )
    held = verdict.equal and refused and readable
    summary = {
        "tables": len(verdict.tables),
        "rows": verdict.rows,
        "equal": verdict.equal,
        "differing": verdict.differing,
        "manifest_differs": verdict.manifest_differs,
        "restore_audit_rows": verdict.restore_audit_rows,
        "refused_non_empty": refused,
        "pii_readable": readable,
        "archive_bytes": archive.stat().st_size,
        "seconds": round(time.monotonic() - started, 1),
    }
    return summary, held


def _yes(value: bool) -> str:
    return _("yes") if value else _("NO")


def _safe(url: str) -> str:
    """The URL without a password, for the output."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _print_tables(say: Callable[[str], None], verdict: BackupVerdict) -> None:
    width = max((len(t.table) for t in verdict.tables), default=10)
    for t in verdict.tables:
        state = _("equal") if t.equal else _("DIFFERENT")
        say(
            f"  {t.table:<{width}}  {t.rows_before if t.rows_before is not None else '-':>7} → "
            f"{t.rows_after if t.rows_after is not None else '-':>7}  {t.sha_before[:12] or '-':<12} → "
            f"{t.sha_after[:12] or '-':<12}  {state}"
        )


def _shegong(
    args: list[str], env: dict[str, str], log: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "shegong.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ shegong {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    if check and done.returncode != 0:
        raise DrillError(
            _("shegong {command} failed (exit code {code}):\n{output}").format(
                command=" ".join(args), code=done.returncode, output=(done.stdout + done.stderr)[-2000:]
            )
        )
    return done


def _manifest(archive: Path) -> dict[str, Any]:
    from shegong.ops.backup import read_manifest

    return read_manifest(archive)


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def digests(engine: str, url: str, *, upto: dict[str, int] | None = None) -> dict[str, digest.TableDigest]:
    """Every table's rows and checksum, read with the plain driver in one consistent snapshot."""
    if engine == "sqlite":
        conn = sqlite3.connect(_sqlite_path(url))
        try:
            return digest.sqlite_digests(conn, upto=upto)
        finally:
            conn.close()
    with psycopg.connect(url) as pg:
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        pg.execute("SET TIME ZONE 'UTC'")
        result = digest.pg_digests(pg, upto=upto)
        pg.rollback()
        return result


def _max_id(engine: str, url: str, table: str) -> int:
    query = f'SELECT coalesce(max("id"), 0) FROM "{table}"'  # noqa: S608 (a fixed table name)
    if engine == "sqlite":
        conn = sqlite3.connect(_sqlite_path(url))
        try:
            return int(conn.execute(query).fetchone()[0])
        finally:
            conn.close()
    with psycopg.connect(url) as pg:
        row = pg.execute(query).fetchone()
        return int(row[0]) if row else 0
