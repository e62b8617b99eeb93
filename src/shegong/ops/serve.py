"""`shegong serve`: the production web server (gunicorn, in-process), after refusing unsafe settings."""

from __future__ import annotations

import json
import os
from typing import Any

from shegong.ops.bootstrap import OperatorError, setup_django

# Django's own development default starts with this; so do keys copied from tutorials.
_INSECURE_MARKER = "insecure"
MIN_SECRET_LENGTH = 50


def _dev_secrets() -> dict[str, str]:
    """The data folder's generated development secrets, if any (read only: never created here)."""
    from django.conf import settings

    path = settings.DATA_DIR / "dev-secrets.json"
    try:
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def secret_problems(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Why these settings must not serve production traffic (empty list: they may)."""
    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.utils.translation import gettext as _

    problems = []
    if settings.DEBUG:
        problems.append(_("SHEGONG_DEBUG is on. Production runs with SHEGONG_DEBUG unset or 0."))
    dev = _dev_secrets()
    secret = environ.get("SECRET_KEY", "")
    if not secret:
        problems.append(_("SECRET_KEY is not set. Set it to at least 50 random characters."))
    elif (
        len(secret) < MIN_SECRET_LENGTH
        or _INSECURE_MARKER in secret.lower()
        or secret == dev.get("secret_key")
    ):
        problems.append(
            _(
                "SECRET_KEY is a development or default value (shorter than {n} characters, containing "
                "'insecure', or the data folder's generated key). Generate a new one."
            ).format(n=MIN_SECRET_LENGTH)
        )
    field_key = environ.get("SHEGONG_FIELD_KEY", "")
    keys = [k.strip() for k in field_key.split(",") if k.strip()]
    if not keys:
        problems.append(
            _(
                "SHEGONG_FIELD_KEY is not set. It encrypts personal data; "
                "set the key that encrypted your data."
            )
        )
    else:
        for key in keys:
            try:
                Fernet(key.encode())
            except (ValueError, TypeError):
                problems.append(
                    _(
                        "SHEGONG_FIELD_KEY holds a value that is not a Fernet key "
                        "(44 characters, URL-safe base64)."
                    )
                )
                break
        if keys[0] == dev.get("field_key"):
            problems.append(
                _(
                    "SHEGONG_FIELD_KEY is the data folder's generated development key. "
                    "Generate a production key."
                )
            )
    return problems


# What SHOW answers may be. synchronous_commit: every value but "off" makes COMMIT wait until the commit's
# WAL is flushed to this server's disk ("local"); "on", "remote_write" and "remote_apply" add waiting for
# synchronous standbys when there are any. Only "off" acknowledges a commit that a crash can still lose.
DURABLE_SYNCHRONOUS_COMMIT = frozenset({"on", "local", "remote_write", "remote_apply"})
DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


def durability_problems(show: dict[str, str]) -> list[str]:
    """Why PostgreSQL's settings, as `SHOW` reports them in the application's own session, could lose or
    corrupt committed data after a crash (empty list: they cannot)."""
    from django.utils.translation import gettext as _

    problems = []
    if show.get("fsync") != "on":
        problems.append(
            _(
                "PostgreSQL runs with fsync = {value}: a power cut or crash can corrupt the whole database. "
                "Set fsync = on."
            ).format(value=show.get("fsync", "?"))
        )
    if show.get("synchronous_commit") not in DURABLE_SYNCHRONOUS_COMMIT:
        problems.append(
            _(
                "PostgreSQL runs with synchronous_commit = {value}: a crash can lose transactions that were "
                "already confirmed (an accepted appeal, an audit row). Set synchronous_commit = on (also "
                "check ALTER ROLE / ALTER DATABASE settings and PGOPTIONS)."
            ).format(value=show.get("synchronous_commit", "?"))
        )
    if show.get("full_page_writes") != "on":
        problems.append(
            _(
                "PostgreSQL runs with full_page_writes = {value}: a crash can leave torn pages that WAL "
                "cannot repair. Set full_page_writes = on."
            ).format(value=show.get("full_page_writes", "?"))
        )
    return problems


def show_durability(cursor: Any) -> dict[str, str]:
    """The durability settings as this session sees them (role, database and PGOPTIONS included)."""
    values = {}
    for name in DURABILITY_SETTINGS:
        cursor.execute(f"SHOW {name}")  # a fixed name from DURABILITY_SETTINGS, never input
        values[name] = str(cursor.fetchone()[0]).strip().lower()
    return values


def _check_durability() -> None:
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.utils.translation import gettext as _

    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            show = show_durability(cursor)
    except DatabaseError as exc:
        raise OperatorError(
            _("Refusing to start: cannot read the database's settings ({error}).").format(error=exc),
            exit_code=2,
        ) from exc
    problems = durability_problems(show)
    if problems:
        raise OperatorError(
            _("Refusing to start: PostgreSQL is not set up to keep committed data:\n  {problems}").format(
                problems="\n  ".join(problems)
            ),
            exit_code=2,
        )


def _default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def _int_env(name: str, default: int) -> int:
    from shegong.config import env

    value = env.get_int(name, default=default)
    if value < 1:
        raise OperatorError(f"{name} must be at least 1, not {value}", exit_code=2)
    return value


def gunicorn_options(bind: str) -> dict[str, Any]:
    workers = _int_env("SHEGONG_WEB_WORKERS", _default_workers())
    threads = _int_env("SHEGONG_WEB_THREADS", 1)
    options: dict[str, Any] = {
        "bind": [bind],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": _int_env("SHEGONG_WEB_TIMEOUT", 60),
        "graceful_timeout": 30,
        "accesslog": "-",  # stdout: the service manager (systemd, docker) keeps the log
        "errorlog": "-",
        "proc_name": "shegong",
        # gunicorn ≥ 25 opens a control socket at one fixed path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
        # ~/.gunicorn/gunicorn.ctl): a second server of the same user would take it over from the first.
        # Shegong is run by its service manager, not by gunicornc.
        "control_socket_disable": True,
    }
    shm = "/dev/shm"  # noqa: S108 (gunicorn's advice: heartbeat files in memory, not on a slow disk)
    if os.path.isdir(shm):
        options["worker_tmp_dir"] = shm
    return options


def _preflight() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor
    from django.utils.translation import gettext as _

    problems = secret_problems(os.environ)
    if problems:
        raise OperatorError(
            _("Refusing to start the production server:\n  {problems}").format(
                problems="\n  ".join(problems)
            ),
            exit_code=2,
        )
    try:
        call_command("check", deploy=True, fail_level="WARNING")
    except SystemCheckError as exc:
        raise OperatorError(
            _("Refusing to start: the deployment checks failed.\n{error}").format(error=exc), exit_code=2
        ) from exc
    _check_durability()
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise OperatorError(
            _("Refusing to start: the database needs migrations. Run: shegong manage migrate"), exit_code=2
        )
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        print(_("Database: SQLite. Fine for one machine and few users; production should use PostgreSQL."))
    call_command("collectstatic", interactive=False, verbosity=0)
    print(_("Static files are in {path}").format(path=settings.STATIC_ROOT), flush=True)
    connections.close_all()  # gunicorn forks its workers: no connection may be shared with them


def run(*, bind: str) -> int:
    """Check, prepare and run the production server until it is stopped."""
    os.environ["SHEGONG_PRODUCTION"] = "1"
    setup_django()
    _preflight()
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(bind)

    class ShegongServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from shegong.config.wsgi import application

            return application

    ShegongServer().run()
    return 0
