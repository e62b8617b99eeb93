"""`seed_divisions FILE.csv`: import the official 统计用区划代码 list (see shegong.divisions.importer)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from shegong.divisions.importer import DivisionFileError, import_divisions

# A broken national file can have thousands of bad rows; the first ones are enough to fix the export.
MAX_ERRORS_SHOWN = 200


class Command(BaseCommand):
    help = (
        "Import division codes (统计用区划代码) from a UTF-8 CSV with the columns code,name[,level,parent]. "
        "Codes may be 12 digits or 2/4/6/9-digit prefixes. Existing codes get their names updated. "
        "If any row is invalid nothing is imported, unless --skip-invalid is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="CSV file, UTF-8 (with or without BOM), header row code,name[,level,parent]"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows (whose parents are valid too) and list the invalid ones",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: {path}").format(path=path))
        started = time.monotonic()
        try:
            result = import_divisions(
                path, skip_invalid=options["skip_invalid"], dry_run=options["dry_run"], source_label=path.name
            )
        except DivisionFileError as exc:
            raise CommandError(str(exc)) from exc

        for error in result.errors[:MAX_ERRORS_SHOWN]:
            self.stderr.write(str(error))
        if len(result.errors) > MAX_ERRORS_SHOWN:
            self.stderr.write(_("… and {n} more errors.").format(n=len(result.errors) - MAX_ERRORS_SHOWN))
        if result.errors and not options["skip_invalid"]:
            raise CommandError(
                _("Nothing was imported: {n} problems found. Fix them, or rerun with --skip-invalid.").format(
                    n=len(result.errors)
                )
            )
        self.stdout.write(result.summary())
        if result.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported in {seconds:.1f} s.").format(seconds=time.monotonic() - started)
                )
            )
