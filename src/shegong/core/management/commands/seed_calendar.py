"""`seed_calendar FILE.csv` imports the holiday schedule of one or more years (`shegong seed calendar`);
`seed_calendar --from-package` reloads every year the chinese_calendar package knows."""

from __future__ import annotations

import csv
import datetime as dt
from argparse import ArgumentParser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext

from shegong.core import calendar
from shegong.core.models import CalendarDay

ACTOR_LABEL = "command:seed_calendar"
COLUMNS = ("date", "is_workday", "name")
TRUE_VALUES = {"1", "true", "yes", "y"}
FALSE_VALUES = {"0", "false", "no", "n"}


def parse_schedule(lines: Iterable[str]) -> tuple[dict[int, list[calendar.ScheduleRow]], list[str]]:
    """Rows grouped by year, and the problems found ("Line 4: …"); line 1 is the header."""
    reader = csv.reader(lines)
    errors: list[str] = []
    header = [cell.strip().lower() for cell in next(reader, [])]
    if not header or header[: len(COLUMNS)] != list(COLUMNS) or len(header) > len(COLUMNS):
        return {}, [
            gettext("Line 1: the header must be “{columns}”.").format(columns=",".join(COLUMNS)),
        ]
    name_max = CalendarDay._meta.get_field("name").max_length or 40
    by_year: dict[int, list[calendar.ScheduleRow]] = {}
    first_seen: dict[dt.date, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are harmless
        if len(cells) != len(COLUMNS):
            errors.append(_at(line, gettext("expected 3 columns, found {n}").format(n=len(cells))))
            continue
        problems = []
        raw_date, raw_flag, name = (cell.strip() for cell in cells)
        try:
            day = dt.date.fromisoformat(raw_date)
        except ValueError:
            day = None
            problems.append(gettext("“{value}” is not a date like 2027-01-01").format(value=raw_date))
        flag = raw_flag.lower()
        if flag not in TRUE_VALUES | FALSE_VALUES:
            problems.append(gettext("is_workday must be 1 or 0, not “{value}”").format(value=raw_flag))
        if len(name) > name_max:
            problems.append(gettext("the name is longer than {n} characters").format(n=name_max))
        if day is not None and day in first_seen:
            problems.append(
                gettext("{date} is already on line {line}").format(date=day.isoformat(), line=first_seen[day])
            )
        if problems or day is None:
            errors.extend(_at(line, problem) for problem in problems)
            continue
        first_seen[day] = line
        by_year.setdefault(day.year, []).append(calendar.ScheduleRow(day, flag in TRUE_VALUES, name))
    return by_year, errors


def _at(line: int, problem: str) -> str:
    return gettext("Line {line}: {problem}").format(line=line, problem=problem)


class Command(BaseCommand):
    help = (
        "Import the holiday schedule (statutory holidays and 调休 working weekends) from a CSV file with the "
        "header date,is_workday,name. Each year present in the file replaces that year's schedule. Nothing "
        "is imported if any row is invalid. --from-package reloads the years the chinese_calendar package "
        "knows."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="CSV file: date,is_workday,name (UTF-8)")
        parser.add_argument(
            "--from-package",
            action="store_true",
            help="reload every year from the installed chinese_calendar package instead of a file",
        )

    def handle(self, *args: Any, file: Path | None, from_package: bool, **options: Any) -> None:
        if from_package and file is None:
            summaries = calendar.load_from_package(actor=None, actor_label=ACTOR_LABEL)
        elif file is not None and not from_package:
            summaries = self._import_file(file)
        else:
            raise CommandError(gettext("Give either a CSV file or --from-package."))
        for summary in summaries:
            self.stdout.write(
                gettext(
                    "{year}: {off} weekday holidays, {work} working weekends "
                    "({skipped} rows matched the normal week; {replaced} old rows replaced)"
                ).format(
                    year=summary.year,
                    off=summary.days_off,
                    work=summary.working_weekends,
                    skipped=summary.skipped,
                    replaced=summary.replaced,
                )
            )

    def _import_file(self, path: Path) -> list[calendar.ImportSummary]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:  # -sig: files saved by Excel
                by_year, errors = parse_schedule(stream)
        except OSError as exc:
            raise CommandError(gettext("Cannot read {path}: {error}").format(path=path, error=exc)) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(gettext("{path} is not UTF-8 text.").format(path=path)) from exc
        if not errors and not by_year:
            errors.append(gettext("The file has no rows."))
        if errors:
            raise CommandError(
                gettext("Nothing was imported. Fix these rows and run again:") + "\n" + "\n".join(errors)
            )
        try:
            with transaction.atomic():  # all years or none
                return [
                    calendar.import_year(actor=None, actor_label=ACTOR_LABEL, year=year, rows=rows)
                    for year, rows in sorted(by_year.items())
                ]
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
