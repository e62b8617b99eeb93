"""Row counts and content checksums per table, the evidence that a restore kept every row.

Each table's checksum is SHA-256 over its rows in primary-key order, every value rendered canonically
(type tag + text, length-prefixed so that no two different rows render alike). The same engine computes
the checksum on both sides of a backup, with the plain DB-API driver (stdlib `sqlite3`, `psycopg`) rather
than Django's connection, so Django's type converters never enter the comparison.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID


class TableDigest(TypedDict):
    rows: int
    sha256: str


def canonical(value: Any) -> str:
    """One value as text with a type tag; equal values of equal types give equal text on any machine."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return "b:1" if value else "b:0"
    if isinstance(value, int):
        return f"i:{value}"
    if isinstance(value, float):
        return f"f:{value!r}"
    if isinstance(value, Decimal):
        return f"d:{value}"
    if isinstance(value, str):
        return f"s:{value}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"x:{bytes(value).hex()}"
    if isinstance(value, datetime):
        # The session time zone must not matter: aware values are compared in UTC.
        return f"t:{(value.astimezone(UTC) if value.tzinfo else value).isoformat()}"
    if isinstance(value, date | time):
        return f"t:{value.isoformat()}"
    if isinstance(value, timedelta):
        return f"td:{value.total_seconds()!r}"
    if isinstance(value, UUID):
        return f"u:{value}"
    if isinstance(value, dict | list):
        return "j:" + json.dumps(
            value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
        )
    return f"{type(value).__name__}:{value}"


def digest_rows(rows: Iterable[Iterable[Any]]) -> TableDigest:
    sha = hashlib.sha256()
    count = 0
    for row in rows:
        for value in row:
            text = canonical(value).encode("utf-8")
            sha.update(str(len(text)).encode("ascii") + b":" + text)
        sha.update(b"\n")
        count += 1
    return {"rows": count, "sha256": sha.hexdigest()}


def _iterate(cursor: Any, size: int = 2000) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(size):
        yield from batch


def _quote(name: str) -> str:
    """An SQL identifier in double quotes (the same rule in SQLite and PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


# --- SQLite ---------------------------------------------------------------------------------------------


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    """User tables; SQLite's own bookkeeping (sqlite_sequence, sqlite_stat*) is copied but not compared."""
    cur = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name"
    )
    return [row[0] for row in cur.fetchall()]


def _upto(table: str, upto: Mapping[str, int] | None) -> str:
    """A WHERE clause keeping the rows with id ≤ upto[table] (the backup drill leaves out the audit rows
    written after the snapshot); empty for other tables."""
    if not upto or table not in upto:
        return ""
    return f' WHERE "id" <= {int(upto[table])}'


def sqlite_digests(
    conn: sqlite3.Connection, *, upto: Mapping[str, int] | None = None
) -> dict[str, TableDigest]:
    result: dict[str, TableDigest] = {}
    for table in sqlite_tables(conn):
        info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        columns = sorted(row[1] for row in info)
        pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0] or columns
        cols = ", ".join(_quote(c) for c in columns)
        order = ", ".join(_quote(c) for c in pk)
        where = _upto(table, upto)
        cur = conn.execute(f"SELECT {cols} FROM {_quote(table)}{where} ORDER BY {order}")  # noqa: S608 (quoted identifiers from the catalogue)
        result[table] = digest_rows(_iterate(cur))
    return result


def sqlite_migrations(conn: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in sqlite_tables(conn):
        return []
    return [[app, name] for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY id")]


# --- PostgreSQL -----------------------------------------------------------------------------------------

_PG_TEXT_TYPES = {"text", "character varying", "character"}


def pg_tables(conn: Any) -> list[str]:
    cur = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"
    )
    return [row[0] for row in cur.fetchall()]


def pg_digests(conn: Any, *, upto: Mapping[str, int] | None = None) -> dict[str, TableDigest]:
    """Checksums inside the connection's current transaction (callers open it REPEATABLE READ).
    `upto`: tables whose rows count only up to this id."""
    result: dict[str, TableDigest] = {}
    for n, table in enumerate(pg_tables(conn)):
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s",
                [table],
            ).fetchall()
        )
        columns = sorted(types)
        pk = [
            row[0]
            for row in conn.execute(
                "SELECT a.attname FROM pg_index i "
                "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indrelid = quote_ident(%s)::regclass AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)",
                [table],
            ).fetchall()
        ] or columns
        # Byte order for text keys: the target database's collation must not change the row order.
        order = ", ".join(_quote(c) + (' COLLATE "C"' if types[c] in _PG_TEXT_TYPES else "") for c in pk)
        cols = ", ".join(_quote(c) for c in columns)
        with conn.cursor(name=f"shegong_digest_{n}") as cur:  # server-side: big tables stream
            where = _upto(table, upto)
            cur.execute(f"SELECT {cols} FROM {_quote(table)}{where} ORDER BY {order}")  # noqa: S608 (catalogue names)
            result[table] = digest_rows(_iterate(cur))
    return result


def pg_migrations(conn: Any) -> list[list[str]]:
    if "django_migrations" not in pg_tables(conn):
        return []
    return [[app, name] for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY id")]
