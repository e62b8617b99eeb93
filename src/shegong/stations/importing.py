"""Stations from an Excel workbook (.xlsx): read, check every row, then write them all or none.

- The file is checked by content, not by name: an .xlsx is a ZIP holding the workbook parts. Old .xls,
  CSV, images and other ZIPs are refused with a message saying what to do. Limits: MAX_FILE_BYTES on disk,
  MAX_UNCOMPRESSED_BYTES unpacked (a "zip bomb" stops there), MAX_ROWS stations, MAX_SCANNED_ROWS rows
  including blank ones. openpyxl reads the first sheet in read-only mode; expat refuses entity expansion.
- Columns are found by their header, whatever their order, spacing or notes in brackets: the Chinese
  names in COLUMNS, their English msgids or the active language's labels. Unknown columns (an export's
  区划名称, a report's 错误) are ignored and listed.
- Every row is checked in full before anything is written (division exists and the user manages it,
  operating unit on the division's line, coordinates finite and inside China, WGS-84 converted to GCJ-02,
  amenities, hours, phone, duplicates within the file). A row naming an existing station of the division
  updates it (or is skipped with `skip_existing`).
- Writes go through services.station_create/station_update in one transaction with one IMPORTED audit
  row. With any invalid row nothing is written, unless `only_valid`: then the valid rows are written,
  each in its own savepoint, and the rest reported.

The opening-hours column is read by `hours_text.parse_hours_text` ("周一至周五 08:00-20:00；周六 09:00-17:00；
周日 休息", "全天", or the JSON table itself).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.core import audit
from shegong.core.exports import neutralise
from shegong.core.pii import PIIKind, mask_phone, normalise
from shegong.core.scoping import covers, prefixes_for
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit
from shegong.stations import geo, services
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import Amenity, Kind, StationsPerm, Status
from shegong.stations.hours_text import canonical_hours, parse_hours_text
from shegong.stations.models import Station

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # 2,000 full rows unpack to about 1 MB
MAX_ZIP_ENTRIES = 500
# Stations per file. The import is synchronous and every row goes through the services (about 11 queries
# a row): 2,000 rows took 22 s on SQLite and 39 s on PostgreSQL on a busy 2-vCPU machine, inside the web
# server's 60 s timeout (docs/stations-transfer.md). Larger lists are split, e.g. by district.
MAX_ROWS = 2000
MAX_SCANNED_ROWS = 100_000  # blank rows included: a sheet formatted down to row 1,048,576 stops here
MAX_COLUMNS = 60
LOOKUP_CHUNK = 500  # values per IN (...) lookup

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GCJ02, WGS84 = "GCJ-02", "WGS-84"


class StationFileError(Exception):
    """The file as a whole cannot be used (not an .xlsx, too big, no header); nothing was read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy msgid; the Chinese header comes from the catalogue
    aliases: tuple[str, ...]  # the headers officials' spreadsheets use, matched whatever the language
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("name", gettext_lazy("Name"), ("名称", "驿站名称", "站点名称"), required=True),
    Column("kind", gettext_lazy("Kind"), ("类型", "驿站类型")),
    Column("division", gettext_lazy("Division code"), ("区划代码", "行政区划代码"), required=True),
    Column("operator_unit", gettext_lazy("Operating unit"), ("运营单位", "运营方")),
    Column("address", gettext_lazy("Address"), ("地址", "详细地址"), required=True),
    Column("lat", gettext_lazy("Latitude"), ("纬度",), required=True),
    Column("lng", gettext_lazy("Longitude"), ("经度",), required=True),
    Column("coords", gettext_lazy("Coordinate system"), ("坐标系", "坐标系统")),
    Column("amenities", gettext_lazy("Amenities"), ("设施", "服务设施")),
    Column("opening_hours", gettext_lazy("Opening hours"), ("开放时间", "营业时间")),
    Column("contact_phone", gettext_lazy("Contact phone"), ("联系电话", "电话")),
    Column("status", gettext_lazy("Status"), ("状态",)),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def column_label(key: str) -> str:
    column = COLUMN_BY_KEY.get(key)
    return str(column.label) if column else ""


# --- reading the file --------------------------------------------------------------------------------------


@dataclass
class SourceRow:
    number: int  # the row number Excel shows
    cells: list[Any]  # as read, for the error report
    values: dict[str, Any]  # column key -> cell value


@dataclass
class Sheet:
    header: list[str]
    positions: dict[str, int]
    ignored: list[str]
    rows: list[SourceRow]


def _sniff(head: bytes) -> str:
    """What a non-ZIP file looks like, for the message."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"\x89PNG"):
        return _("a PNG image")
    if head.startswith(b"\xff\xd8\xff"):
        return _("a JPEG image")
    if head.startswith(b"%PDF"):
        return _("a PDF document")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            return ""
    first = text.splitlines()[0] if text.splitlines() else ""
    if "," in first or "\t" in first:
        return _("CSV or tab-separated text")
    return _("plain text")


def check_container(source: Path | IO[bytes]) -> None:
    """StationFileError unless `source` is a plausible .xlsx within the limits (before openpyxl reads it).
    A stream is left at its start."""
    if isinstance(source, Path):
        size = source.stat().st_size
        with source.open("rb") as handle:
            head = handle.read(2048)
    else:
        source.seek(0, 2)
        size = source.tell()
        source.seek(0)
        head = source.read(2048)
        source.seek(0)
    if size == 0:
        raise StationFileError(_("The file is empty."))
    if size > MAX_FILE_BYTES:
        raise StationFileError(
            _(
                "The file is {size} MB; at most {limit} MB can be imported. Split it into several files."
            ).format(size=round(size / 1024 / 1024, 1), limit=MAX_FILE_BYTES // (1024 * 1024))
        )
    if not head.startswith(b"PK\x03\x04"):
        kind = _sniff(head)
        if kind == "ole":
            raise StationFileError(
                _(
                    "This is an Excel 97–2003 (.xls) file or a password-protected workbook. Open it in "
                    "Excel or WPS, save it as “Excel workbook (*.xlsx)” without a password and upload that."
                )
            )
        if kind:
            raise StationFileError(
                _(
                    "This file is not an Excel .xlsx workbook (it looks like {kind}). Download the "
                    "template, fill it in and save it as .xlsx."
                ).format(kind=kind)
            )
        raise StationFileError(
            _(
                "This file is not an Excel .xlsx workbook. Download the template, fill it in and save it "
                "as .xlsx."
            )
        )
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
            if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
                raise StationFileError(
                    _(
                        "The workbook unpacks to more than {limit} MB, far more than {rows} stations need; "
                        "it is refused. Copy the stations into a new workbook and try again."
                    ).format(limit=MAX_UNCOMPRESSED_BYTES // (1024 * 1024), rows=MAX_ROWS)
                )
    except zipfile.BadZipFile as exc:
        raise StationFileError(
            _("The file is damaged (the .xlsx archive cannot be opened). Save it again in Excel or WPS.")
        ) from exc
    finally:
        if not isinstance(source, Path):
            source.seek(0)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise StationFileError(
            _("This is a ZIP archive but not an Excel workbook (the workbook parts are missing).")
        )


def _norm_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)  # notes: 纬度（GCJ-02）, 名称[必填]
    return re.sub(r"[\s*:]", "", text).lower()


def _header_names() -> dict[str, str]:
    """{normalised header: column key}: Chinese aliases, English msgids and the active language's labels."""
    names: dict[str, str] = {}
    for column in COLUMNS:
        spellings = [*column.aliases, str(column.label)]
        with translation.override("en"):
            spellings.append(str(column.label))
        with translation.override("zh-hans"):
            spellings.append(str(column.label))
        for spelling in spellings:
            names.setdefault(_norm_header(spelling), column.key)
    return names


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _map_header(header: list[Any]) -> tuple[dict[str, int], list[str]]:
    known = _header_names()
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        norm = _norm_header(cell)
        if not norm:
            continue
        key = known.get(norm)
        if key is None:
            ignored.append(str(cell).strip())
        elif key in positions:
            raise StationFileError(
                _("The column “{name}” appears twice (columns {first} and {second}).").format(
                    name=str(cell).strip(), first=_letter(positions[key]), second=_letter(index)
                )
            )
        else:
            positions[key] = index
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise StationFileError(
            _(
                "Row 1 must hold the column headers; these required columns are missing: {missing}. "
                "Download the template to see them."
            ).format(missing="、".join(missing))
        )
    return positions, ignored


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_sheet(source: Path | IO[bytes]) -> Sheet:
    """The first sheet's header and non-blank rows. Raises StationFileError."""
    from openpyxl import load_workbook

    check_container(source)
    try:
        # data_only: a formula cell gives the value Excel last showed, never the formula text.
        workbook = load_workbook(source, read_only=True, data_only=True)
    except StationFileError:
        raise
    except Exception as exc:  # openpyxl raises many types on malformed input; all mean the same
        raise StationFileError(
            _("The workbook cannot be read. Save it again as .xlsx in Excel or WPS and try again.")
        ) from exc
    try:
        if not workbook.worksheets:
            raise StationFileError(_("The workbook has no sheet."))
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        header = next(rows, None)
        if header is None or _blank(header):
            raise StationFileError(_("The first sheet is empty: row 1 must hold the column headers."))
        positions, ignored = _map_header(list(header))
        found: list[SourceRow] = []
        for number, cells in enumerate(rows, start=2):
            if number > MAX_SCANNED_ROWS:
                raise StationFileError(
                    _(
                        "The sheet has more than {n} rows, blank ones included. Delete the empty rows "
                        "below the stations (or copy the stations into a new workbook) and try again."
                    ).format(n=MAX_SCANNED_ROWS)
                )
            if _blank(cells):
                continue
            if len(found) >= MAX_ROWS:
                raise StationFileError(
                    _(
                        "The sheet holds more than {max} stations; split it into files of at most {max} rows."
                    ).format(max=MAX_ROWS)
                )
            values = {key: (cells[i] if i < len(cells) else None) for key, i in positions.items()}
            found.append(SourceRow(number=number, cells=list(cells), values=values))
    except StationFileError:
        raise
    except Exception as exc:  # a damaged sheet fails while it is parsed, with any error type
        raise StationFileError(
            _("The workbook cannot be read. Save it again as .xlsx in Excel or WPS and try again.")
        ) from exc
    finally:
        workbook.close()
    if not found:
        raise StationFileError(_("The sheet has headers but no station rows."))
    width = max([len(header), *(len(r.cells) for r in found)])
    header_text = ["" if h is None else str(h) for h in header] + [""] * (width - len(header))
    while (
        header_text
        and not header_text[-1]
        and all(len(r.cells) < len(header_text) or r.cells[len(header_text) - 1] is None for r in found)
    ):
        header_text.pop()
    return Sheet(header=header_text, positions=positions, ignored=ignored, rows=found)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


# --- cell values -------------------------------------------------------------------------------------------


def _undo_neutralise(text: str) -> str:
    # An export writes '=… for a cell starting with a formula character; read it back as written.
    return text[1:] if text.startswith("'") and neutralise(text[1:]) != text[1:] else text


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious .0, dates in ISO form, surrounding space removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return _undo_neutralise(str(value).strip())


def _code_text(value: Any) -> str:
    return unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=32)
def _vocabulary(enum: Any, language: str) -> dict[str, str]:
    """{normalised code, English label, Chinese label, active-language label or alias: code}."""
    aliases = _ALIASES[enum]
    names: dict[str, str] = {}
    for member in enum:
        names[_key(member.value)] = member.value
        with translation.override("en"):
            names[_key(str(member.label))] = member.value
        with translation.override("zh-hans"):
            names[_key(str(member.label))] = member.value
        names[_key(str(member.label))] = member.value
    for alias, code in aliases.items():
        names.setdefault(_key(alias), code)
    return names


KIND_ALIASES: dict[str, str] = {
    "暖新驿站": Kind.LOVE_STATION,
    "暖心驿站": Kind.LOVE_STATION,
    "户外劳动者驿站": Kind.LOVE_STATION,
}
STATUS_ALIASES: dict[str, str] = {
    "正常": Status.OPEN,
    "开放": Status.OPEN,
    "营业": Status.OPEN,
    "暂停": Status.SUSPENDED,
    "关闭": Status.CLOSED,
    "撤销": Status.CLOSED,
    "停用": Status.CLOSED,
}
AMENITY_ALIASES: dict[str, str] = {
    "饮用水": Amenity.WATER,
    "热水": Amenity.WATER,
    "厕所": Amenity.TOILET,
    "卫生间": Amenity.TOILET,
    "微波炉": Amenity.MICROWAVE,
    "热饭": Amenity.MICROWAVE,
    "充电": Amenity.PHONE_CHARGING,
    "座椅": Amenity.SEATING,
    "休息": Amenity.SEATING,
    "医药箱": Amenity.FIRST_AID,
    "急救包": Amenity.FIRST_AID,
    "雨伞": Amenity.RAIN_GEAR,
    "心理咨询": Amenity.COUNSELLING,
}
_ALIASES: dict[Any, dict[str, str]] = {Kind: KIND_ALIASES, Status: STATUS_ALIASES, Amenity: AMENITY_ALIASES}
COORD_ALIASES = {"GCJ02": GCJ02, "火星坐标": GCJ02, "高德": GCJ02, "WGS84": WGS84, "GPS": WGS84}
_AMENITY_SPLIT = re.compile(r"[、,;\n]+")  # never "/": the label 热饭/微波炉 holds one


def parse_choice(text: str, enum: Any) -> str | None:
    """The code of a kind or status written as its code, English or Chinese label, or an alias."""
    return _vocabulary(enum, translation.get_language() or "").get(_key(text))


def parse_amenities(text: str) -> tuple[list[str], list[str]]:
    """(codes in the table's order, unknown names as written)."""
    vocabulary = _vocabulary(Amenity, translation.get_language() or "")
    chosen: set[str] = set()
    unknown: list[str] = []
    for part in _AMENITY_SPLIT.split(unicodedata.normalize("NFKC", text)):
        part = part.strip()
        if not part:
            continue
        code = vocabulary.get(_key(part))
        if code is None:
            unknown.append(part)
        else:
            chosen.add(code)
    return [a for a in Amenity.values if a in chosen], unknown


def coordinate_system(text: str) -> str | None:
    if not text:
        return GCJ02
    key = re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", text)).upper()
    return COORD_ALIASES.get(key) or COORD_ALIASES.get(text.strip())


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = unicodedata.normalize("NFKC", cell_text(value)).replace("°", "")
    try:
        return float(text)
    except ValueError:
        return None


# --- checking rows -----------------------------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED, SKIP, INVALID = "create", "update", "unchanged", "skip", "invalid"
ACTION_LABELS = {
    CREATE: gettext_lazy("New"),
    UPDATE: gettext_lazy("Update"),
    UNCHANGED: gettext_lazy("No change"),
    SKIP: gettext_lazy("Skipped (already exists)"),
    INVALID: gettext_lazy("Invalid"),
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # a COLUMNS key, or "" for the row as a whole
    message: str

    @property
    def column_label(self) -> str:
        return column_label(self.column)

    def as_text(self) -> str:
        return f"{self.column_label}：{self.message}" if self.column else self.message


@dataclass
class RowPlan:
    row: int
    name: str
    division: Division | None = None
    station: Station | None = None  # the existing station of that name in that division
    fields: dict[str, Any] = field(default_factory=dict)  # create: all; update: the changed ones
    action: str = CREATE
    errors: list[RowError] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])


@dataclass
class Checked:
    sheet: Sheet
    plans: list[RowPlan]

    @property
    def errors(self) -> list[RowError]:
        return [e for p in self.plans for e in p.errors]

    def count(self, action: str) -> int:
        return sum(1 for p in self.plans if p.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ACTION_LABELS} | {"rows": len(self.plans)}


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _pad_code(text: str) -> str:
    if not (text.isascii() and text.isdigit()) or len(text) not in codes.PREFIX_LENGTHS or text[:2] == "00":
        return ""
    return text.ljust(12, "0")


def _significant(code: str) -> str:
    return code[: codes.level_of(code)]


def _on_line(unit_division: str, division: str) -> bool:
    """The unit's division is the station's division, one above it, or one below it."""
    return division.startswith(_significant(unit_division)) or unit_division.startswith(
        _significant(division)
    )


class _Lookups:
    """What the rows refer to, read in a few batched queries."""

    def __init__(self, sheet: Sheet, user: Any) -> None:
        self.user = user
        self.manage = prefixes_for(user, StationsPerm.MANAGE)
        padded = {_pad_code(_code_text(r.values.get("division"))) for r in sheet.rows} - {""}
        self.divisions: dict[str, Division] = {}
        for chunk in _chunks(sorted(padded)):
            self.divisions.update({d.code: d for d in Division.objects.filter(code__in=chunk)})
        refs = {cell_text(r.values.get("operator_unit")) for r in sheet.rows} - {""}
        ids = sorted(int(r) for r in refs if r.isascii() and r.isdigit() and len(r) < 12)
        names = sorted(refs)
        # Operating units may sit above the user's jurisdiction (a district union runs a street's station),
        # so they are read unscoped, and only those on a row's division line are ever used.
        self.units_by_id: dict[int, Unit] = {}
        self.units_by_name: dict[str, list[Unit]] = {}
        for chunk in _chunks(ids):
            self.units_by_id.update({u.pk: u for u in Unit.all_objects.filter(pk__in=chunk)})
        for chunk in _chunks(names):
            for unit in Unit.all_objects.filter(name__in=chunk):
                self.units_by_name.setdefault(unit.name, []).append(unit)
        managed = [c for c in self.divisions if covers(self.manage, c)]
        row_names = sorted({cell_text(r.values.get("name")) for r in sheet.rows} - {""})
        self.existing: dict[tuple[str, str], Station] = {}
        for code_chunk in _chunks(managed):
            for name_chunk in _chunks(row_names):
                for station in Station.objects.visible_to(user, StationsPerm.MANAGE).filter(
                    division_id__in=code_chunk, name__in=name_chunk
                ):
                    self.existing[(station.division_id, station.name)] = station


def _add(plan: RowPlan, column: str, message: str) -> None:
    plan.errors.append(RowError(plan.row, column, message))


def _check_division(plan: RowPlan, raw: Any, lookups: _Lookups) -> None:
    text = _code_text(raw)
    if not text:
        _add(plan, "division", _("The division code is empty."))
        return
    code = _pad_code(text)
    if not code:
        _add(
            plan,
            "division",
            _(
                "“{value}” is not a division code: give the 12-digit code (or its 6- or 9-digit prefix)."
            ).format(value=text),
        )
        return
    division = lookups.divisions.get(code)
    if division is None:
        _add(plan, "division", _("No division has the code {code}.").format(code=code))
    elif not covers(lookups.manage, code):
        _add(
            plan,
            "division",
            _("{name} ({code}) is outside your jurisdiction: you may not manage its stations.").format(
                name=division.name, code=code
            ),
        )
    else:
        plan.division = division


def _check_unit(plan: RowPlan, raw: Any, lookups: _Lookups) -> Unit | None:
    text = cell_text(raw)
    division = plan.division
    if not text or division is None:
        return None
    if text.isascii() and text.isdigit() and int(text) in lookups.units_by_id:
        unit = lookups.units_by_id[int(text)]
        candidates = [unit] if _on_line(unit.division_id, division.code) else []
    else:
        candidates = [
            u for u in lookups.units_by_name.get(text, []) if _on_line(u.division_id, division.code)
        ]
        if len(candidates) > 1:
            candidates = [u for u in candidates if u.division_id == division.code] or candidates
    current = plan.station.operator_unit_id if plan.station else None
    candidates = [u for u in candidates if u.is_active or u.pk == current]
    if not candidates:
        _add(
            plan,
            "operator_unit",
            _(
                "No active unit “{unit}” belongs to {division} or a division above or below it; give the "
                "unit's exact name or its number."
            ).format(unit=text, division=division.name),
        )
        return None
    if len(candidates) > 1:
        _add(
            plan,
            "operator_unit",
            _(
                "Several units are named “{unit}” on this division's line (numbers {ids}); give the number."
            ).format(unit=text, ids=", ".join(str(u.pk) for u in candidates)),
        )
        return None
    return candidates[0]


def _check_point(plan: RowPlan, values: dict[str, Any]) -> tuple[float, float] | None:
    system = coordinate_system(cell_text(values.get("coords")))
    if system is None:
        _add(plan, "coords", _("The coordinate system must be GCJ-02 (AMap, Tencent) or WGS-84 (GPS)."))
    lat, lng = _number(values.get("lat")), _number(values.get("lng"))
    broken = False
    for key, number in (("lat", lat), ("lng", lng)):
        if values.get(key) is None or cell_text(values.get(key)) == "":
            _add(plan, key, _("This column is required."))
            broken = True
        elif number is None:
            _add(plan, key, _("“{value}” is not a number.").format(value=cell_text(values.get(key))))
            broken = True
        elif not math.isfinite(number):
            _add(plan, key, _("Latitude and longitude must be finite numbers."))
            broken = True
    if broken or system is None or lat is None or lng is None:
        return None
    try:
        point = geo.validate_point(lat, lng)
        if system == WGS84:
            converted = geo.wgs84_to_gcj02(*point)
            point = geo.validate_point(round(converted[0], 7), round(converted[1], 7))
    except ValidationError as exc:
        _add(plan, "lat", " ".join(exc.messages))
        return None
    return point


def _check_phone(plan: RowPlan, raw: Any) -> str | None:
    """The number to store; None keeps the stored one (an export's masked number, unchanged)."""
    text = _code_text(raw)
    if not text:
        return ""
    if "*" in text:
        if (
            plan.station is not None
            and plan.station.contact_phone
            and mask_phone(plan.station.contact_phone) == text
        ):
            return None
        _add(
            plan,
            "contact_phone",
            _("The number is masked ({value}); type the full number, or leave the cell empty.").format(
                value=text
            ),
        )
        return ""
    try:
        return normalise(PIIKind.PHONE, text)
    except ValidationError as exc:
        _add(plan, "contact_phone", " ".join(exc.messages))
        return ""


def _check_text(plan: RowPlan, key: str, raw: Any, max_length: int) -> str:
    text = cell_text(raw)
    if not text:
        _add(plan, key, _("This column is required."))
    elif len(text) > max_length:
        _add(
            plan, key, _("At most {n} characters (this has {length}).").format(n=max_length, length=len(text))
        )
    return text


def _check_row(source: SourceRow, lookups: _Lookups, seen: dict[tuple[str, str], int]) -> RowPlan:
    values = source.values
    plan = RowPlan(row=source.number, name=cell_text(values.get("name")))
    name = _check_text(plan, "name", values.get("name"), Station._meta.get_field("name").max_length or 120)
    _check_division(plan, values.get("division"), lookups)
    if plan.division is not None and name:
        key = (plan.division.code, name)
        if key in seen:
            _add(
                plan,
                "name",
                _("“{name}” in this division already appears on row {row}.").format(name=name, row=seen[key]),
            )
        else:
            seen[key] = plan.row
        plan.station = lookups.existing.get(key)
    fields: dict[str, Any] = {"name": name}
    kind_text = cell_text(values.get("kind"))
    fields["kind"] = parse_choice(kind_text, Kind) if kind_text else Kind.LOVE_STATION
    if fields["kind"] is None:
        _add(
            plan,
            "kind",
            _("Unknown kind “{value}”; use one of: {allowed}.").format(
                value=kind_text, allowed="、".join(str(k.label) for k in Kind)
            ),
        )
    status_text = cell_text(values.get("status"))
    fields["status"] = parse_choice(status_text, Status) if status_text else Status.OPEN
    if fields["status"] is None:
        _add(
            plan,
            "status",
            _("Unknown status “{value}”; use one of: {allowed}.").format(
                value=status_text, allowed="、".join(str(s.label) for s in Status)
            ),
        )
    fields["operator_unit"] = _check_unit(plan, values.get("operator_unit"), lookups)
    fields["address"] = _check_text(
        plan, "address", values.get("address"), Station._meta.get_field("address").max_length or 200
    )
    point = _check_point(plan, values)
    if point is not None:
        fields["lat"], fields["lng"] = point
    amenities, unknown = parse_amenities(cell_text(values.get("amenities")))
    if unknown:
        _add(
            plan,
            "amenities",
            _("Unknown amenities: {names}. Allowed: {allowed}.").format(
                names="、".join(unknown), allowed="、".join(str(a.label) for a in Amenity)
            ),
        )
    fields["amenities"] = amenities
    try:
        fields["opening_hours"] = parse_hours_text(cell_text(values.get("opening_hours")))
    except ValidationError as exc:
        _add(plan, "opening_hours", " ".join(exc.messages))
    phone = _check_phone(plan, values.get("contact_phone"))
    if phone is not None:
        fields["contact_phone"] = phone
    if plan.errors:
        plan.action = INVALID
        return plan
    _final_check(plan, fields)
    return plan


def _final_check(plan: RowPlan, fields: dict[str, Any]) -> None:
    """The model's own validation (what the service will run), then create, update or no change."""
    assert plan.division is not None  # noqa: S101 (a row without a division has an error already)
    existing = plan.station
    if existing is None:
        candidate = Station(division=plan.division, **fields)
    else:
        candidate = _copy(existing)
        for key, value in fields.items():
            setattr(candidate, key, value)
    try:
        candidate.full_clean(
            exclude=["division", "operator_unit"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            column = key if key in COLUMN_BY_KEY else ""
            for message in messages:
                _add(plan, column, message)
        plan.action = INVALID
        return
    if existing is None:
        plan.fields, plan.action = fields, CREATE
        return
    changed: dict[str, Any] = {}
    for key, value in fields.items():
        old = getattr(existing, key)
        if key == "amenities" and set(old or []) == set(value):
            continue
        if key == "opening_hours" and canonical_hours(old) == value:
            continue
        if old != value:
            changed[key] = value
    plan.fields, plan.action = changed, (UPDATE if changed else UNCHANGED)


def _copy(station: Station) -> Station:
    copy = Station()
    copy.__dict__.update({k: v for k, v in station.__dict__.items() if k != "_state"})
    return copy


def check_rows(sheet: Sheet, *, user: Any, skip_existing: bool = False) -> Checked:
    """Every row checked and planned; nothing written."""
    lookups = _Lookups(sheet, user)
    seen: dict[tuple[str, str], int] = {}
    plans = [_check_row(row, lookups, seen) for row in sheet.rows]
    if skip_existing:
        for plan in plans:
            if plan.action in (UPDATE, UNCHANGED):
                plan.action, plan.fields = SKIP, {}
    return Checked(sheet=sheet, plans=plans)


# --- writing -----------------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    checked: Checked
    imported: bool
    mode: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    write_errors: list[RowError] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return sorted([*self.checked.errors, *self.write_errors], key=lambda e: e.row)

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def rows(self) -> int:
        return len(self.checked.plans)


class _Abort(Exception):
    """Raised inside the transaction to roll every row back."""


def _service_errors(plan: RowPlan, exc: Exception) -> list[RowError]:
    if isinstance(exc, PermissionDenied):
        return [RowError(plan.row, "division", _("You may not manage stations in this division."))]
    if isinstance(exc, IntegrityError):
        return [
            RowError(plan.row, "name", _("A station with this name was added in this division meanwhile."))
        ]
    assert isinstance(exc, ValidationError)  # noqa: S101
    if hasattr(exc, "error_dict"):
        return [
            RowError(plan.row, key if key in COLUMN_BY_KEY else "", message)
            for key, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(plan.row, "", message) for message in exc.messages]


def _write(plan: RowPlan, actor: Any) -> None:
    if plan.action == CREATE:
        assert plan.division is not None  # noqa: S101
        services.station_create(actor=actor, division=plan.division, **plan.fields)
    elif plan.action == UPDATE:
        assert plan.station is not None  # noqa: S101
        services.station_update(actor=actor, station=plan.station, **plan.fields)


def _common_division(plans: Iterable[RowPlan]) -> str:
    codes_written = sorted({p.division.code for p in plans if p.division is not None})
    if not codes_written:
        return ""
    prefix = codes_written[0]
    for code in codes_written[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    usable = [n for n in codes.PREFIX_LENGTHS if n <= len(prefix)]
    return prefix[: usable[-1]].ljust(12, "0") if usable else ""


def safe_file_name(name: str) -> str:
    """The uploaded file's own name, without any folder, at most 100 characters."""
    return re.split(r"[\\/]", name or "")[-1][:100]


def import_stations(
    source: Path | IO[bytes],
    *,
    actor: Any,
    file_name: str,
    sha256: str = "",
    only_valid: bool = False,
    skip_existing: bool = False,
) -> ImportOutcome:
    """Read, check and (unless refused) write the stations of a workbook in one transaction.

    Raises StationFileError when the file cannot be used. With invalid rows and not `only_valid`,
    nothing is written and `imported` is False.
    """
    sheet = read_sheet(source)
    checked = check_rows(sheet, user=actor, skip_existing=skip_existing)
    mode = "valid_rows_only" if only_valid else "all_or_nothing"
    outcome = ImportOutcome(checked=checked, imported=False, mode=mode)
    if checked.errors and not only_valid:
        return outcome
    writable = [p for p in checked.plans if p.action in (CREATE, UPDATE)]
    try:
        with transaction.atomic():
            for plan in writable:
                try:
                    if only_valid:
                        with transaction.atomic():
                            _write(plan, actor)
                    else:
                        _write(plan, actor)
                except (ValidationError, PermissionDenied, IntegrityError) as exc:
                    outcome.write_errors.extend(_service_errors(plan, exc))
                    plan.action = INVALID
                    if not only_valid:
                        raise _Abort from exc
            outcome.created, outcome.updated = checked.count(CREATE), checked.count(UPDATE)
            outcome.unchanged, outcome.skipped = checked.count(UNCHANGED), checked.count(SKIP)
            audit.record(
                action=StationsAction.IMPORTED,
                actor=actor,
                target_label=_("Excel import {name}").format(name=safe_file_name(file_name)),
                division_code=_common_division(p for p in checked.plans if p.action != INVALID),
                changes={
                    "file": safe_file_name(file_name),
                    "sha256": sha256,
                    "mode": mode,
                    "skip_existing": skip_existing,
                    "rows": outcome.rows,
                    "created": outcome.created,
                    "updated": outcome.updated,
                    "unchanged": outcome.unchanged,
                    "skipped": outcome.skipped,
                    "invalid": outcome.invalid,
                },
            )
    except _Abort:
        outcome.created = outcome.updated = outcome.unchanged = outcome.skipped = 0
        return outcome
    outcome.imported = True
    return outcome
