"""`drill_crash` (`shegong drill crash`): appeals filed through the API while the server and PostgreSQL are
killed; every acknowledged appeal must exist exactly once. The drill runs a PostgreSQL cluster of its own
(initdb in a temporary folder, as an unprivileged user when run as root) and `shegong serve` against it;
the operator's DATABASE_URL is not touched. Logic: shegong.ops.drills.crash; docs/security-drills.md.
The last line printed is one JSON object: {"drill": "crash", "acknowledged": …, "lost": 0, "duplicates": 0,
"kills": …, "pg_restarts": …, "orphans": 0, "retries": …, "seconds": …, …}; the exit code is 1 when
anything did not hold.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shegong.ops.drills import DrillError
from shegong.ops.drills.crash import Options, run

_DEFAULTS = Options()


class Command(BaseCommand):
    help = _(
        "Crash drill: file appeals through the API while gunicorn workers, the master and a PostgreSQL "
        "cluster of the drill's own are killed; check that every acknowledged appeal exists exactly once."
    )
    requires_system_checks: list[str] = []  # it never uses the configured database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=_DEFAULTS.clients, help=_("concurrent clients"))
        parser.add_argument(
            "--seconds", type=int, default=_DEFAULTS.seconds, help=_("seconds of load and killing")
        )
        parser.add_argument("--workers", type=int, default=_DEFAULTS.workers, help=_("gunicorn workers"))
        parser.add_argument(
            "--keep", action="store_true", help=_("keep the cluster and the server log for inspection")
        )
        parser.add_argument(
            "--os-user",
            default=_DEFAULTS.os_user,
            help=_("when run as root: the system user that runs PostgreSQL (default postgres)"),
        )
        parser.add_argument("--seed", type=int, default=None, help=_("seed of the kill schedule"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 1 or options["workers"] < 2:
            raise CommandError(_("--clients must be at least 1 and --workers at least 2."))
        if options["seconds"] < 10:
            raise CommandError(_("--seconds must be at least 10."))
        chosen = Options(**{k: options[k] for k in Options.__dataclass_fields__})
        try:
            line, ok = run(chosen, self._say)
        except DrillError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(line)
        if not ok:
            raise SystemExit(1)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
