"""The benchmark's database and server: a fresh PostgreSQL database, `shegong serve` in a child process.

The children get a clean production environment: the operator's SHEGONG_*, database, cache and host
settings are dropped (so the benchmark never sends a real SMS through a configured gateway, never writes
into the real static folder, never touches the real database), then the documented production values
are set: generated SECRET_KEY and SHEGONG_FIELD_KEY, DEBUG off, DATABASE_CONN_MAX_AGE=60 (docs/operations.md).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from cryptography.fernet import Fernet
from django.utils.translation import gettext as _
from psycopg import sql

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
# Environment variables of the operator's own deployment that must not leak into the benchmark's children.
_DROPPED_PREFIXES = ("SHEGONG_", "DATABASE_", "SECURE_", "GUNICORN_")
_DROPPED = {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Forwarded as nginx forwards it (docs/operations.md): production redirects plain HTTP otherwise.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


class BenchError(Exception):
    """The benchmark cannot run; the message says why."""


def check_database_name(name: str) -> str:
    """The benchmark drops and recreates this database: only a plain name containing "bench" is taken,
    so a slip of the keyboard cannot name the production database."""
    if not _NAME.match(name) or "bench" not in name:
        raise BenchError(
            _(
                "--database {name}: give a lower-case name (letters, digits, _) containing “bench”; "
                "that database is dropped and created again."
            ).format(name=name)
        )
    return name


def server_url(database_url: str | None) -> str:
    """The maintenance database of the PostgreSQL server to use: DATABASE_URL's server when that is
    PostgreSQL, else the local default."""
    if database_url and urlsplit(database_url).scheme in {"postgres", "postgresql", "pgsql"}:
        return with_database(database_url, "postgres")
    return DEFAULT_SERVER


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def production_env(*, database_url: str, data_dir: Path, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
    env.update(
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="60",
        SECRET_KEY=secrets.token_urlsafe(64),
        SHEGONG_FIELD_KEY=Fernet.generate_key().decode(),
        SHEGONG_DEBUG="0",
        SHEGONG_DATA_DIR=str(data_dir),
        SHEGONG_WEB_WORKERS=str(workers),
        SHEGONG_WEB_THREADS="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    return env


def backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to the benchmark database (the server's kept connections)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_child(argv: list[str], *, env: dict[str, str], log: Path) -> str:
    """Run a Python child to completion; its output is appended to `log` and returned."""
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, *argv], env=env, capture_output=True, text=True, check=False
    )
    with log.open("a", encoding="utf-8") as f:
        f.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise BenchError(
            _("{command} failed (exit code {code}):\n{output}").format(
                command=" ".join(argv), code=done.returncode, output=(done.stdout + done.stderr)[-2000:]
            )
        )
    return done.stdout


class Server:
    """`shegong serve` on 127.0.0.1:port in its own process group (gunicorn master and workers)."""

    def __init__(self, *, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, "-m", "shegong.cli", "serve", "--bind", f"127.0.0.1:{self.port}"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 180) -> None:
        """Until /healthz answers 200 (it queries the database); the preflight collects static files first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise BenchError(
                    _("The server stopped while starting. Its log:\n{log}").format(log=self.tail())
                )
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise BenchError(
            _("The server did not answer /healthz within {s} s. Its log:\n{log}").format(
                s=round(timeout), log=self.tail()
            )
        )

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master), for the operator's profiling."""
        if self.proc is None:
            return []
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self, timeout: float = 40) -> None:
        """SIGTERM to the master (gunicorn's graceful stop); the whole group is killed if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers=PROXY_HEADERS)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={**PROXY_HEADERS, **headers})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
