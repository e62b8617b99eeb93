"""`drill_backup` (`shegong drill backup`): the real backup and restore commands on a fresh SQLite file and
a fresh PostgreSQL database (drill_backup_src_…/drill_backup_dst_…, on DATABASE_URL's server or
127.0.0.1:5432, dropped at the end), restored into an empty database and compared table by table (row
counts and checksums). The operator's own database is never touched. Logic: shegong.ops.drills.backup;
docs/security-drills.md. The last line is one JSON object {"drill": "backup", "sqlite": {"tables": …,
"rows": …, "equal": true, …}, "postgresql": {…}}; the exit code is 1 when anything differs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shegong.ops.drills import DrillError
from shegong.ops.drills.backup import ENGINES, Options, run


class Command(BaseCommand):
    help = _(
        "Backup drill: back up a fresh database filled with the demo data, restore it into an empty "
        "database of the same engine and compare every table's rows and checksum."
    )
    requires_system_checks: list[str] = []  # it never uses the configured database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--engine", choices=[*ENGINES, "both"], default="both", help=_("which database engine to drill")
        )
        parser.add_argument(
            "--server",
            default="",
            help=_(
                "PostgreSQL server URL (default: DATABASE_URL's server, else postgres://postgres@127.0.0.1)"
            ),
        )
        parser.add_argument("--keep", action="store_true", help=_("keep the files and databases"))

    def handle(self, *args: Any, **options: Any) -> None:
        engines = ENGINES if options["engine"] == "both" else (options["engine"],)
        try:
            line, ok = run(
                Options(engines=engines, server=options["server"], keep=options["keep"]), self._say
            )
        except DrillError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(line)
        if not ok:
            raise SystemExit(1)

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
