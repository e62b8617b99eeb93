"""A PostgreSQL cluster of the drill's own: `initdb` in a temporary folder, `pg_ctl` to start, crash and stop.

PostgreSQL refuses to run as root, so when the drill runs as root the cluster's folder belongs to an
unprivileged system user and every server command runs as that user (`runuser -u USER --`). The user is
`postgres` when the PostgreSQL packages created it, else `shegongdrill`, created as a system user without
a home or a login shell. The cluster listens on 127.0.0.1 only, on a free port, with its Unix socket in
its own folder, and trusts local connections (nothing else can reach it). fsync, synchronous_commit and
full_page_writes are set on explicitly: the drill is about what those settings promise.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

from django.utils.translation import gettext as _

from shegong.ops.drills import DrillError

SUPERUSER = "drill"
DURABLE_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
FALLBACK_USER = "shegongdrill"
_VERSION = re.compile(r"/postgresql/(\d+)(?:\.(\d+))?/bin$")


def find_bin_dir() -> Path:
    """The newest PostgreSQL server binaries: /usr/lib/postgresql/*/bin (Debian), else `pg_config --bindir`,
    else the folder of `initdb` on the PATH."""
    found = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        match = _VERSION.search(str(candidate))
        if match and (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            found.append(((int(match.group(1)), int(match.group(2) or 0)), candidate))
    if found:
        return max(found)[1]
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)  # noqa: S603
        bindir = Path(done.stdout.strip())
        if done.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise DrillError(
        _(
            "initdb and pg_ctl were not found (looked in /usr/lib/postgresql/*/bin, pg_config --bindir and "
            "the PATH). Install the PostgreSQL server package (Debian: postgresql)."
        )
    )


def server_user(requested: str = "") -> str | None:
    """Who runs the cluster: None when the drill is not root (the current user does); otherwise the
    requested user, `postgres`, or `shegongdrill` (created now if missing)."""
    if os.geteuid() != 0:
        return None
    for name in [requested] if requested else ["postgres", FALLBACK_USER]:
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    if requested:
        raise DrillError(_("The system user {user} does not exist.").format(user=requested))
    useradd = shutil.which("useradd")
    if useradd is None:
        raise DrillError(
            _("PostgreSQL does not run as root and useradd is missing: pass --os-user with an existing user.")
        )
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise DrillError(
            _("Could not create the system user {user}: {error}").format(
                user=FALLBACK_USER, error=done.stderr.strip()
            )
        )
    return FALLBACK_USER


class Cluster:
    """One cluster in `folder` (created here; removed by the caller)."""

    def __init__(self, *, folder: Path, port: int, os_user: str | None, bin_dir: Path) -> None:
        self.folder, self.port, self.os_user, self.bin_dir = folder, port, os_user, bin_dir
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.running = False

    def _run(self, tool: str, *args: str, timeout: float = 180) -> str:
        argv = [str(self.bin_dir / tool), *args]
        if self.os_user is not None:
            runuser = shutil.which("runuser")
            if runuser is None:
                raise DrillError(
                    _("runuser is missing (util-linux); it runs PostgreSQL as {user}.").format(
                        user=self.os_user
                    )
                )
            argv = [runuser, "-u", self.os_user, "--", *argv]
        try:
            done = subprocess.run(  # noqa: S603 (fixed tools, our own arguments)
                argv, cwd=self.folder, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DrillError(_("{tool} did not finish within {s} s.").format(tool=tool, s=timeout)) from exc
        if done.returncode != 0:
            raise DrillError(
                _("{tool} failed (exit code {code}): {error}\n{log}").format(
                    tool=tool,
                    code=done.returncode,
                    error=(done.stdout + done.stderr).strip(),
                    log=self.tail(),
                )
            )
        return done.stdout

    def create(self) -> None:
        """initdb, then the drill's settings appended to postgresql.conf."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.folder}'",
            "max_connections": "60",
            "shared_buffers": "'64MB'",
            **DURABLE_SETTINGS,
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        lines = "".join(f"{name} = {value}\n" for name, value in settings.items())
        conf = self.data / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as fh:  # the owner's file; root may append to it
            fh.write("\n# shegong drill\n" + lines)

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "--wait",
            "--timeout",
            "120",
        )
        self.running = True

    def crash_restart(self) -> None:
        """`pg_ctl restart -m immediate`: every server process quits at once without a checkpoint (what a
        crash does to PostgreSQL); the start that follows recovers from the WAL."""
        self._run(
            "pg_ctl",
            "restart",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "--mode",
            "immediate",
            "--wait",
            "--timeout",
            "120",
        )
        self.running = True

    def stop(self) -> None:
        if not self.running:
            return
        try:
            self._run(
                "pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "fast", "--wait", "--timeout", "60"
            )
        except DrillError:
            self._run("pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate", "--wait")
        self.running = False

    def url(self, database: str) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def recoveries(self) -> int:
        """How many times the server log says the database was recovered after a crash."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0
        return text.count("database system was not properly shut down; automatic recovery in progress")

    def tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
        except OSError:
            return ""
