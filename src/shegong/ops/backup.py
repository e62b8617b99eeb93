"""`shegong backup FILE` / `shegong restore FILE`: a consistent, versioned dump of all data.

The archive is a tar.gz holding `manifest.json` and one database file:

- SQLite: `database.sqlite3`, a copy taken with SQLite's online backup API (a consistent snapshot even
  while the server writes), switched to a self-contained rollback journal.
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom`. The checksums and pg_dump read the same
  snapshot: a REPEATABLE READ transaction exports its snapshot (`pg_export_snapshot()`), pg_dump runs with
  `--snapshot` while that transaction stays open, then the same transaction computes the checksums.

The manifest records the format version, engine, creation time, app version, applied migrations, and per
table the row count and a content checksum (`shegong.ops.digest`). Restore refuses a target that is not
empty, checks format version, engine and migrations, verifies the archive before touching the target,
writes the database, then verifies every table's count and checksum against the manifest.

Audit: the "backup created" row is written *after* the snapshot was taken (writing it first would change
the data being dumped), so it is not inside the backup it describes; "backup restored" is written into the
restored database after verification.
"""

from __future__ import annotations

import getpass
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from shegong.ops import digest
from shegong.ops.bootstrap import OperatorError

FORMAT = "shegong-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

Manifest = dict[str, Any]


# --- shared helpers -------------------------------------------------------------------------------------


def _engine() -> str:
    from django.db import connection

    if connection.vendor not in DATABASE_FILES:
        raise OperatorError(
            _("Backups support SQLite and PostgreSQL, not {engine}.").format(engine=connection.vendor)
        )
    return connection.vendor


def _operator() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        name = "unknown"
    return f"cli:{name}"


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _app_version() -> str:
    try:
        return importlib.metadata.version("shegong")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def total_rows(manifest: Manifest) -> int:
    """All rows of all tables in the backup (for messages and the audit rows)."""
    return sum(t["rows"] for t in manifest["tables"].values())


def _some(tables: list[str]) -> str:
    """The first few table names, for a message."""
    return ", ".join(tables[:5]) + ("…" if len(tables) > 5 else "")


def compare(expected: dict[str, digest.TableDigest], actual: dict[str, digest.TableDigest]) -> list[str]:
    """Human-readable differences between two sets of table digests (empty when they agree)."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(_("table {table} is missing").format(table=table))
        elif table not in expected:
            problems.append(_("table {table} is not in the backup").format(table=table))
        elif expected[table]["rows"] != actual[table]["rows"]:
            problems.append(
                _("table {table}: {actual} rows, the backup has {expected}").format(
                    table=table, actual=actual[table]["rows"], expected=expected[table]["rows"]
                )
            )
        elif expected[table]["sha256"] != actual[table]["sha256"]:
            problems.append(_("table {table}: the content differs from the backup").format(table=table))
    return problems


def _write_archive(target: Path, manifest: Manifest, dbfile: Path) -> None:
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with tarfile.open(part, "w:gz") as tar:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dbfile, arcname=manifest["database_file"], filter=_private)
        part.chmod(0o600)  # personal data: readable by the operator only
        try:
            os.link(part, target)  # never overwrites: a second backup to the same name fails here
        except FileExistsError as exc:
            raise OperatorError(
                _("{path} already exists; choose a new file name.").format(path=target)
            ) from exc
    finally:
        part.unlink(missing_ok=True)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def read_manifest(path: Path) -> Manifest:
    """The manifest of an archive, after checking that it is a backup this version can read."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: Manifest = json.load(member)
    except FileNotFoundError as exc:
        raise OperatorError(_("{path} does not exist.").format(path=path)) from exc
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise OperatorError(
            _("{path} is not a Shegong backup ({error}).").format(path=path, error=exc)
        ) from exc
    if manifest.get("format") != FORMAT:
        raise OperatorError(_("{path} is not a Shegong backup.").format(path=path))
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise OperatorError(
            _(
                "The backup has format version {found}; this version of Shegong reads version {supported}. "
                "Restore it with the Shegong version that made it ({app})."
            ).format(found=version, supported=FORMAT_VERSION, app=manifest.get("app_version", "?"))
        )
    if manifest.get("database_file") != DATABASE_FILES.get(str(manifest.get("engine"))):
        raise OperatorError(_("The backup's manifest is damaged (unknown database file)."))
    return manifest


def _extract_database(path: Path, manifest: Manifest, workdir: Path) -> Path:
    name: str = manifest["database_file"]
    out = workdir / name
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.getmember(name)
            source = tar.extractfile(member) if member.isfile() else None
            if source is None:
                raise KeyError(name)
            with source, out.open("wb") as dst:
                shutil.copyfileobj(source, dst)
    except (KeyError, tarfile.TarError, EOFError, OSError) as exc:
        raise OperatorError(
            _("The backup holds no readable database file ({error}).").format(error=exc)
        ) from exc
    if _sha256_file(out) != manifest["database_sha256"]:
        raise OperatorError(_("The database file in the backup is damaged (its checksum differs)."))
    return out


def _check_migrations(manifest: Manifest) -> list[str]:
    """Refuse a backup from a newer version; return the migrations this code would still apply."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    in_backup = {tuple(m) for m in manifest["migrations"]}
    unknown = sorted(in_backup - known)
    if unknown:
        raise OperatorError(
            _(
                "The backup comes from a newer version of Shegong ({app}): this version does not know the "
                "migrations {names}. Install that version or a later one, then restore."
            ).format(
                app=manifest.get("app_version", "?"), names=", ".join(f"{a}.{n}" for a, n in unknown[:5])
            )
        )
    return sorted(f"{a}.{n}" for a, n in known - in_backup)


# --- backup ---------------------------------------------------------------------------------------------


def create_backup(path: Path) -> Manifest:
    """Write a backup of the configured database to `path` (refused if the file exists) and audit it."""
    path = path.expanduser().resolve()
    if path.exists():
        raise OperatorError(_("{path} already exists; choose a new file name.").format(path=path))
    if not path.parent.is_dir():
        raise OperatorError(_("The folder {path} does not exist.").format(path=path.parent))
    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="shegong-backup-", dir=path.parent) as tmp:
        dbfile = Path(tmp) / DATABASE_FILES[engine]
        if engine == "sqlite":
            tables, migrations = _sqlite_dump(dbfile)
            method = "sqlite3 online backup API"
        else:
            tables, migrations = _pg_dump(dbfile)
            method = (
                "pg_dump --snapshot exported by the REPEATABLE READ transaction that computed the checksums"
            )
        manifest: Manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine": engine,
            "created_at": _now_iso(),
            "app_version": _app_version(),
            "django_version": importlib.metadata.version("django"),
            "consistency": method,
            "database_file": dbfile.name,
            "database_sha256": _sha256_file(dbfile),
            "database_bytes": dbfile.stat().st_size,
            "migrations": migrations,
            "tables": tables,
        }
        _write_archive(path, manifest, dbfile)
    _audit_backup(path, manifest)
    return manifest


def _now_iso() -> str:
    from django.utils import timezone

    return timezone.localtime().isoformat()


def _audit_backup(path: Path, manifest: Manifest) -> None:
    from django.db import transaction

    from shegong.core import audit
    from shegong.core.audit import CoreAction

    with transaction.atomic():
        audit.record(
            action=CoreAction.BACKUP_CREATED,
            actor_label=_operator(),
            target_label=str(path),
            changes={
                "file": path.name,
                "engine": manifest["engine"],
                "tables": len(manifest["tables"]),
                "rows": total_rows(manifest),
                "database_sha256": manifest["database_sha256"],
            },
        )


def _sqlite_path() -> Path:
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise OperatorError(_("This SQLite database is not a file: {name}").format(name=name))
    return Path(name)


def _sqlite_dump(out: Path) -> tuple[dict[str, digest.TableDigest], list[list[str]]]:
    source_path = _sqlite_path()
    if not source_path.exists():
        raise OperatorError(_("There is no database at {path}.").format(path=source_path))
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(out)
        try:
            source.backup(copy)  # page-by-page, restarted if a writer changes a page: a consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _sqlite_integrity(copy)
            return digest.sqlite_digests(copy), digest.sqlite_migrations(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _sqlite_integrity(conn: sqlite3.Connection) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise OperatorError(_("SQLite integrity check failed: {result}").format(result=result))


# --- PostgreSQL connection parameters: from settings, handed to the client tools through the environment --

_PG_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def _pg_params() -> dict[str, str]:
    from django.db import connection

    db = connection.settings_dict
    params = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": db.get("PORT"),
    }
    for key, value in (db.get("OPTIONS") or {}).items():
        if key in _PG_ENV:
            params[key] = value
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def _pg_env(params: dict[str, str]) -> dict[str, str]:
    """The child's environment: our parameters only, so a stray PGDATABASE of the shell cannot interfere.

    Passwords go through the environment, never the command line (other users can read `ps`)."""
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV.values()}
    env.update({_PG_ENV[k]: v for k, v in params.items()})
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise OperatorError(
            _(
                "{tool} was not found. Install the PostgreSQL client tools (Debian: postgresql-client)."
            ).format(tool=name)
        )
    return found


def _pg_connect(params: dict[str, str], **kwargs: Any) -> Any:
    import psycopg

    try:
        return psycopg.connect(**{**params, **kwargs})
    except psycopg.OperationalError as exc:
        raise OperatorError(_("Cannot connect to PostgreSQL: {error}").format(error=exc)) from exc


def _pg_snapshot_conn(params: dict[str, str]) -> Any:
    import psycopg

    conn = _pg_connect(params)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def _pg_dump(out: Path) -> tuple[dict[str, digest.TableDigest], list[list[str]]]:
    pg_dump = _pg_tool("pg_dump")
    params = _pg_params()
    with _pg_snapshot_conn(params) as conn:
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        # pg_dump adopts the exported snapshot; it stays valid while this transaction is open.
        proc = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            [pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", f"--file={out}"],
            env=_pg_env(params),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise OperatorError(_("pg_dump failed: {error}").format(error=proc.stderr.strip()))
        tables, migrations = digest.pg_digests(conn), digest.pg_migrations(conn)
        conn.rollback()
    return tables, migrations


# --- restore --------------------------------------------------------------------------------------------


def restore_backup(path: Path) -> tuple[Manifest, list[str]]:
    """Restore `path` into the configured, empty database; verify it; audit it.

    Returns the manifest and the migrations this code has that the backup lacks (the operator then runs
    `shegong manage migrate`)."""
    path = path.expanduser().resolve()
    manifest = read_manifest(path)
    engine = _engine()
    if manifest["engine"] != engine:
        raise OperatorError(
            _(
                "The backup was made from {found}, but the configured database is {target}. Restore into a "
                "{found} database (check DATABASE_URL)."
            ).format(
                found=ENGINE_NAMES.get(manifest["engine"], manifest["engine"]), target=ENGINE_NAMES[engine]
            )
        )
    pending = _check_migrations(manifest)
    with tempfile.TemporaryDirectory(prefix="shegong-restore-") as tmp:
        dbfile = _extract_database(path, manifest, Path(tmp))
        if engine == "sqlite":
            _sqlite_restore(dbfile, manifest)
        else:
            _pg_restore(dbfile, manifest)
    if not pending:
        # With pending migrations the audit table may lag behind the code; the row is written by nobody
        # then, and the command tells the operator to migrate.
        _audit_restore(path, manifest)
    return manifest, pending


def _refuse_not_empty(description: str) -> OperatorError:
    return OperatorError(
        _(
            "The target database is not empty ({what}). Restore only into an empty database: a new "
            "DATABASE_URL, or a new SQLite file. Nothing was changed."
        ).format(what=description)
    )


def _verify(manifest: Manifest, actual: dict[str, digest.TableDigest]) -> None:
    problems = compare(manifest["tables"], actual)
    if problems:
        raise OperatorError(
            _("The restored data differs from the backup:\n  {problems}").format(
                problems="\n  ".join(problems)
            )
        )


def sqlite_is_empty(target: Path) -> str:
    """'' when the SQLite file counts as empty; otherwise what it holds.

    Empty means: no file, a zero-byte file, a database without tables, or one whose only table is an
    empty django_migrations."""
    if not target.exists() or target.stat().st_size == 0:
        return ""
    conn = sqlite3.connect(target, timeout=30)
    try:
        tables = digest.sqlite_tables(conn)
        if tables == ["django_migrations"] and not conn.execute("SELECT 1 FROM django_migrations").fetchone():
            return ""
        return _some(tables)
    except sqlite3.DatabaseError:
        return _("a file that is not a SQLite database")
    finally:
        conn.close()


def _sqlite_restore(dbfile: Path, manifest: Manifest) -> None:
    from django.db import connections

    target = _sqlite_path()
    held = sqlite_is_empty(target)
    if held:
        raise _refuse_not_empty(held)
    source = sqlite3.connect(dbfile)
    try:
        _sqlite_integrity(source)
        # A damaged archive fails here, before the target is touched.
        _verify(manifest, digest.sqlite_digests(source))
        connections.close_all()
        target.parent.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(target, timeout=30)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode=WAL")
            _verify(manifest, digest.sqlite_digests(dest))
        finally:
            dest.close()
    finally:
        source.close()


def _pg_restore(dbfile: Path, manifest: Manifest) -> None:
    pg_restore = _pg_tool("pg_restore")
    params = _pg_params()
    with _pg_connect(params, autocommit=True) as conn:
        tables = digest.pg_tables(conn)
        if tables == ["django_migrations"] and not conn.execute("SELECT 1 FROM django_migrations").fetchone():
            # An empty bookkeeping table holds nothing; pg_restore would stop on "already exists".
            conn.execute("DROP TABLE django_migrations")
        elif tables:
            raise _refuse_not_empty(_some(tables))
    proc = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [
            pg_restore,
            "--no-owner",  # objects belong to the restoring user, whatever the source's roles were
            "--no-acl",  # the source's GRANTs may name roles this server does not have
            "--exit-on-error",
            "--single-transaction",  # all or nothing
            "--no-password",
            "--dbname=",  # empty: libpq takes the database from PGDATABASE
            str(dbfile),
        ],
        env=_pg_env(params),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise OperatorError(
            _("pg_restore failed; nothing was restored: {error}").format(error=proc.stderr.strip())
        )
    with _pg_snapshot_conn(params) as conn:
        actual = digest.pg_digests(conn)
        conn.rollback()
    _verify(manifest, actual)


def _audit_restore(path: Path, manifest: Manifest) -> None:
    from django.db import transaction

    from shegong.core import audit
    from shegong.core.audit import CoreAction

    with transaction.atomic():
        audit.record(
            action=CoreAction.BACKUP_RESTORED,
            actor_label=_operator(),
            target_label=str(path),
            changes={
                "file": path.name,
                "backup_created_at": manifest["created_at"],
                "app_version": manifest["app_version"],
                "tables": len(manifest["tables"]),
                "rows": total_rows(manifest),
            },
        )
