"""Import the official 统计用区划代码 list from a CSV file.

The file is UTF-8 (a BOM is accepted) with a header row naming at least `code` and `name`; `level` and
`parent` are optional and, when present, must agree with the code. Codes may be full 12-digit codes or
2/4/6/9-digit prefixes, which are padded with zeros (so the 6-digit GB/T 2260 form 210105 works too).

Every row is checked before anything is written: digits only, a known length, level and parent agreeing
with the code, the parent present in the file or the database, no duplicate codes, a non-empty name. With
any error nothing is imported, unless `skip_invalid` is set: then the valid rows whose parents are valid
are imported and the rest are reported. Existing codes are updated (upsert by code). Rows are inserted
level by level in bulk, so a full national list (about 700,000 rows) is one pass of batched INSERTs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from shegong.core import audit
from shegong.divisions import codes
from shegong.divisions.audit_actions import DivisionsAction
from shegong.divisions.choices import Level
from shegong.divisions.models import Division

# Rows per INSERT/UPDATE statement; Django lowers it further where a backend limits query parameters.
BATCH_SIZE = 2000
# Codes per `IN (...)` lookup: below SQLite's and PostgreSQL's parameter limits.
LOOKUP_CHUNK = 900
NAME_MAX_LENGTH = Division._meta.get_field("name").max_length or 100

# Header names, English first; the Chinese ones are what officials' spreadsheets usually say.
HEADER_ALIASES = {
    "code": ("code", "代码", "区划代码", "统计用区划代码"),
    "name": ("name", "名称", "区划名称"),
    "level": ("level", "级别", "层级"),
    "parent": ("parent", "parent_code", "上级", "上级代码"),
}


class DivisionFileError(Exception):
    """The file as a whole cannot be read (not UTF-8, no usable header)."""


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line {line}: {message}").format(line=self.line, message=self.message)


@dataclass(slots=True)
class _Row:
    line: int
    code: str
    name: str
    level: int
    parent: str | None


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    imported: bool = False

    @property
    def skipped(self) -> int:
        """Rows left out because they (or their parents) are invalid."""
        return self.rows - self.created - self.updated - self.unchanged

    def summary(self) -> str:
        return _(
            "{rows} rows: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped."
        ).format(
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            skipped=self.skipped,
        )


# --- reading -----------------------------------------------------------------------------------------------
def _open_text(source: str | Path | IO[bytes]) -> io.TextIOWrapper:
    raw: IO[bytes] = open(source, "rb") if isinstance(source, str | Path) else source  # noqa: SIM115
    # utf-8-sig drops a leading BOM (Excel writes one) and reads plain UTF-8 unchanged.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _header_map(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    normalised = [h.strip().lower() for h in header]
    for key, aliases in HEADER_ALIASES.items():
        for index, name in enumerate(normalised):
            if name in aliases:
                positions.setdefault(key, index)
    missing = [key for key in ("code", "name") if key not in positions]
    if missing:
        raise DivisionFileError(
            _("Line 1: the header must name the columns code and name (missing: {missing}).").format(
                missing=", ".join(missing)
            )
        )
    return positions


def _records(text: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for every non-blank data row."""
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None:
            raise DivisionFileError(_("The file is empty."))
        positions = _header_map(header)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in positions.items()}
            yield reader.line_num, values
    except UnicodeDecodeError as exc:
        raise DivisionFileError(
            _("The file is not UTF-8 text (after line {line}). Save it as CSV UTF-8 and try again.").format(
                line=reader.line_num
            )
        ) from exc
    except csv.Error as exc:
        raise DivisionFileError(
            _("Line {line}: the CSV cannot be read ({reason}).").format(line=reader.line_num, reason=exc)
        ) from exc


# --- checking one row --------------------------------------------------------------------------------------
def _pad(value: str, *, is_parent: bool = False) -> tuple[str | None, str | None]:
    """(12-digit code, None) or (None, error message) for a code or prefix as written in the file."""
    if not value:
        return None, _("The parent code is empty.") if is_parent else _("The code is empty.")
    if not (value.isascii() and value.isdigit()):
        message = (
            _("The parent code {value} must contain digits only.")
            if is_parent
            else _("The code {value} must contain digits only.")
        )
        return None, message.format(value=value)
    if len(value) not in codes.PREFIX_LENGTHS:
        message = (
            _("The parent code {value} has {n} digits; expected 2, 4, 6, 9 or 12.")
            if is_parent
            else _("The code {value} has {n} digits; expected 2, 4, 6, 9 or 12.")
        )
        return None, message.format(value=value, n=len(value))
    padded = value.ljust(12, "0")
    if padded.startswith("00"):
        message = (
            _("The parent code {value} cannot start with 00.")
            if is_parent
            else _("The code {value} cannot start with 00.")
        )
        return None, message.format(value=value)
    return padded, None


def _check_row(line: int, values: dict[str, str]) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []
    code, problem = _pad(values["code"])
    if problem:
        problems.append(problem)
    name = values["name"]
    if not name:
        problems.append(_("The name is empty."))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(_("The name is longer than {max} characters.").format(max=NAME_MAX_LENGTH))
    if code is None:
        return None, problems

    level = codes.level_of(code)
    given_level = values.get("level", "")
    if given_level:
        # isascii(): "²" passes str.isdigit() but int() refuses it.
        if not (given_level.isascii() and given_level.isdigit()) or int(given_level) not in Level.values:
            problems.append(_("The level {level} is not one of 2, 4, 6, 9, 12.").format(level=given_level))
        elif int(given_level) != level:
            problems.append(
                _("The level {level} does not match the code {code}, which is level {expected}.").format(
                    level=given_level, code=code, expected=level
                )
            )
    parent = codes.parent_code(code)
    given_parent = values.get("parent", "")
    if given_parent:
        padded_parent, problem = _pad(given_parent, is_parent=True)
        if problem:
            problems.append(problem)
        elif padded_parent != parent:
            problems.append(
                _("The parent {parent} does not match the code {code}; its parent is {expected}.").format(
                    parent=given_parent, code=code, expected=parent or "-"
                )
            )
    if problems:
        return None, problems
    return _Row(line=line, code=code, name=name, level=level, parent=parent), []


# --- the whole file ----------------------------------------------------------------------------------------
def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _existing(code_list: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """{code: (name, is_demo)} for the codes already in the database."""
    found: dict[str, tuple[str, bool]] = {}
    for chunk in _chunks(code_list, LOOKUP_CHUNK):
        for code, name, is_demo in Division.objects.filter(code__in=chunk).values_list(
            "code", "name", "is_demo"
        ):
            found[code] = (name, is_demo)
    return found


def validate_file(source: str | Path | IO[bytes]) -> tuple[list[_Row], list[RowError], int]:
    """(valid rows ordered parents first, errors ordered by line, number of data rows)."""
    errors: list[RowError] = []
    rows: list[_Row] = []
    first_line: dict[str, int] = {}
    invalid_codes: dict[str, int] = {}
    count = 0
    text = _open_text(source)
    try:
        for line, values in _records(text):
            count += 1
            row, problems = _check_row(line, values)
            errors.extend(RowError(line, p) for p in problems)
            if row is None:
                padded, _problem = _pad(values["code"])
                if padded is not None:
                    invalid_codes.setdefault(padded, line)
                continue
            earlier = first_line.get(row.code) or invalid_codes.get(row.code)
            if earlier is not None:
                errors.append(
                    RowError(
                        line,
                        _("The code {code} already appears on line {first}.").format(
                            code=row.code, first=earlier
                        ),
                    )
                )
                continue
            first_line[row.code] = line
            rows.append(row)
    finally:
        if isinstance(source, str | Path):
            text.close()
        else:
            text.detach()  # the caller's stream stays open

    # Parents first: a parent's code is a shorter prefix, so its level is always lower than the child's.
    rows.sort(key=lambda r: (r.level, r.code))
    needed = {r.parent for r in rows if r.parent is not None and r.parent not in first_line}
    in_database = set(_existing(sorted(needed)))
    accepted: set[str] = set()
    valid: list[_Row] = []
    for row in rows:
        if row.parent is None or row.parent in accepted or (row.parent in in_database):
            accepted.add(row.code)
            valid.append(row)
        elif row.parent in first_line or row.parent in invalid_codes:
            bad_line = first_line.get(row.parent) or invalid_codes[row.parent]
            errors.append(
                RowError(
                    row.line,
                    _("The parent {parent} is not imported because line {parent_line} is invalid.").format(
                        parent=row.parent, parent_line=bad_line
                    ),
                )
            )
        else:
            errors.append(
                RowError(
                    row.line,
                    _("The parent {parent} is neither in the file nor in the database.").format(
                        parent=row.parent
                    ),
                )
            )
    errors.sort(key=lambda e: e.line)
    return valid, errors, count


def import_divisions(
    source: str | Path | IO[bytes],
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    actor: Any = None,
    source_label: str = "",
) -> ImportResult:
    """Validate the whole file, then (unless refused or a dry run) upsert its divisions in one transaction.

    Raises DivisionFileError when the file cannot be read at all. Row problems come back in `errors`;
    `imported` says whether anything was written.
    """
    rows, errors, count = validate_file(source)
    result = ImportResult(rows=count, errors=errors, dry_run=dry_run)
    existing = _existing(r.code for r in rows)
    new_rows = [r for r in rows if r.code not in existing]
    # An official import also adopts a demo code: the row stops being demo data.
    changed = [r for r in rows if r.code in existing and existing[r.code] != (r.name, False)]
    result.created, result.updated = len(new_rows), len(changed)
    result.unchanged = len(rows) - len(new_rows) - len(changed)
    if dry_run or (errors and not skip_invalid):
        if errors and not skip_invalid:
            result.created = result.updated = result.unchanged = 0
        return result

    with transaction.atomic():
        for start in range(0, len(new_rows), BATCH_SIZE):
            Division.objects.bulk_create(
                [
                    Division(code=r.code, name=r.name, level=r.level, parent_id=r.parent)
                    for r in new_rows[start : start + BATCH_SIZE]
                ],
                batch_size=BATCH_SIZE,
            )
        if changed:
            Division.objects.bulk_update(
                [Division(code=r.code, name=r.name, is_demo=False) for r in changed],
                ["name", "is_demo"],
                batch_size=500,
            )
        audit.record(
            action=DivisionsAction.DIVISIONS_IMPORTED,
            actor=actor,
            actor_label="" if actor is not None else "seed_divisions",
            target_label=source_label or str(getattr(source, "name", source)),
            changes={
                "file": source_label or str(getattr(source, "name", source)),
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "skipped": result.skipped,
            },
        )
    result.imported = True
    return result
