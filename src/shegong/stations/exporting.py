"""Stations to Excel (.xlsx) in the import's own column format, so an export can be edited and imported back;
the import template and the row-level error report are built here too.

- The rows are the stations the user may see (`stations:station:view`), narrowed by the desk list's filters
  (q, kind, status, amenity, division); a division outside the jurisdiction is a 404. At most
  EXPORT_MAX_ROWS rows.
- Contact phones are masked (138****5678) unless the user asks for full numbers AND manages the station's
  division; the import reads a masked number back as "keep the stored one".
- Every text cell a spreadsheet would read as a formula is prefixed with ' (core.exports.neutralise); the
  import strips that prefix again.
- Every export writes one EXPORTED audit row (filter, row count, whether full phones were included) in the
  transaction that reads the rows; the file is built before the response starts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.core import audit
from shegong.core.exports import neutralise
from shegong.core.forms import prefix_in_scope
from shegong.core.scoping import covers, division_q, minimal_prefixes, prefixes_for
from shegong.divisions import codes
from shegong.divisions.models import Division
from shegong.divisions.selectors import pad_code
from shegong.stations import importing
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import Amenity, Kind, StationsPerm, Status
from shegong.stations.hours_text import format_hours
from shegong.stations.importing import COLUMNS, GCJ02, WGS84, RowError, Sheet
from shegong.stations.models import Station
from shegong.stations.selectors import stations_visible_to

EXPORT_MAX_ROWS = 50_000
_CHUNK = 1000
XLSX = importing.XLSX_CONTENT_TYPE
DIVISION_NAME = gettext_lazy("Division name")  # for reading only; the import ignores it
ERROR = gettext_lazy("Error")


@dataclass(frozen=True)
class StationFilter:
    """The desk list's query-string filters (q, kind, status, amenity, division): invalid values are left
    out, as on the list, so an export holds what the list shows."""

    q: str = ""
    kind: str = ""
    status: str = ""
    amenity: str = ""
    division_prefix: str = ""  # 2/4/6/9/12 significant digits; "" = the whole jurisdiction

    @classmethod
    def from_query(cls, params: Any, *, user: Any) -> StationFilter:
        """From request.GET; a division subtree wholly outside the user's scope is a 404."""

        def pick(name: str, allowed: list[str]) -> str:
            value = (params.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            q=(params.get("q") or "").strip()[:100],
            kind=pick("kind", Kind.values),
            status=pick("status", Status.values),
            amenity=pick("amenity", Amenity.values),
            division_prefix=subtree_prefix_or_404(user, params.get("division") or ""),
        )

    def apply(self, stations: QuerySet[Station]) -> QuerySet[Station]:
        if self.q:
            stations = stations.filter(Q(name__icontains=self.q) | Q(address__icontains=self.q))
        if self.kind:
            stations = stations.filter(kind=self.kind)
        if self.status:
            stations = stations.filter(status=self.status)
        if self.amenity:
            # The JSON list as text holds "water" with its quotes: works on SQLite and PostgreSQL alike.
            stations = stations.filter(amenities__icontains=f'"{self.amenity}"')
        if self.division_prefix:
            stations = stations.filter(division_q("division_id", [self.division_prefix]))
        return stations

    def as_dict(self) -> dict[str, str]:
        values = {
            "q": self.q,
            "kind": self.kind,
            "status": self.status,
            "amenity": self.amenity,
            "division": self.division_prefix,
        }
        return {k: v for k, v in values.items() if v}


def subtree_prefix_or_404(user: Any, code: str) -> str:
    """The division prefix of a `division=` filter ("" when it is not a code); a subtree wholly outside
    the user's scope is a 404, so a URL never tells whether such a division has stations."""
    padded = pad_code(code)
    if not padded:
        return ""
    prefix = padded[: codes.level_of(padded)]
    if not prefix_in_scope(prefix, prefixes_for(user, StationsPerm.VIEW)):
        raise Http404
    return prefix


def stations_for_export(*, user: Any, station_filter: StationFilter) -> QuerySet[Station]:
    return station_filter.apply(stations_visible_to(user=user, perm=StationsPerm.VIEW)).order_by(
        "division_id", "name", "pk"
    )


# --- cells -------------------------------------------------------------------------------------------------


def headers() -> list[str]:
    names = [str(c.label) for c in COLUMNS]
    names.insert(names.index(str(importing.COLUMN_BY_KEY["division"].label)) + 1, str(DIVISION_NAME))
    return names


def _cells(values: list[Any]) -> list[Any]:
    """Numbers stay numbers; every text is neutralised."""
    return [v if isinstance(v, int | float) and not isinstance(v, bool) else neutralise(v) for v in values]


def _labels(codes: Iterable[str], enum: Any) -> str:
    labels = dict(enum.choices)
    return "、".join(str(labels.get(code, code)) for code in codes)


def row_values(station: Station, *, full_phone: bool) -> list[Any]:
    phone = station.contact_phone if full_phone else station.masked_phone
    return _cells(
        [
            station.name,
            station.get_kind_display(),
            station.division_id,
            station.division.name,
            station.operator_unit.name if station.operator_unit else "",
            station.address,
            station.lat,
            station.lng,
            GCJ02,
            _labels(station.amenities or [], Amenity),
            format_hours(station.opening_hours),
            phone or "",
            station.get_status_display(),
        ]
    )


def instructions() -> Iterator[list[str]]:
    """The second sheet of the template and of every export: what each column takes."""
    yield [_("Column"), _("Required"), _("What to write")]
    yes, no = _("Yes"), _("No")
    notes = {
        "name": _(
            "The station's name, unique within its division. With the division it identifies the station: "
            "a row naming an existing station updates it."
        ),
        "kind": _("One of the kinds below (the label or the code); empty means {default}.").format(
            default=Kind.LOVE_STATION.label
        ),
        "division": _(
            "The 12-digit division code of the community or street (a 6- or 9-digit prefix is padded "
            "with zeros). You must manage stations there."
        ),
        "operator_unit": _(
            "The operating unit's exact name or its number; it must belong to the division or "
            "to one above or below it. May be empty."
        ),
        "address": _("The street address riders see."),
        "lat": _("Decimal degrees, e.g. 41.8201."),
        "lng": _("Decimal degrees, e.g. 123.4201. The point must lie inside China."),
        "coords": _(
            "{gcj} (AMap, Tencent maps; the default) or {wgs} (GPS); WGS-84 is converted to GCJ-02."
        ).format(gcj=GCJ02, wgs=WGS84),
        "amenities": _("Amenity labels separated by 、 or commas, from the list below."),
        "opening_hours": _(
            "Weekdays and times separated by ；, e.g. 周一至周五 08:00-20:00；周六 09:00-17:00；"
            "周日 休息. 全天 means open day and night every day; days not named are closed; a "
            "night past midnight is two days (周五 22:00-24:00；周六 00:00-02:00)."
        ),
        "contact_phone": _(
            "An 11-digit mainland mobile number, or empty. A masked number from an export "
            "(138****5678) keeps the stored one."
        ),
        "status": _("One of the statuses below; empty means {default}.").format(default=Status.OPEN.label),
    }
    for column in COLUMNS:
        yield [str(column.label), yes if column.required else no, str(notes[column.key])]
    yield [str(DIVISION_NAME), no, _("Written by exports for reading; ignored on import.")]
    yield []
    yield [_("Kinds")]
    yield from ([str(k.label), k.value] for k in Kind)
    yield []
    yield [_("Statuses")]
    yield from ([str(s.label), s.value] for s in Status)
    yield []
    yield [_("Amenities")]
    yield from ([str(a.label), a.value] for a in Amenity)
    yield []
    yield [
        _("Limits: at most {rows} stations and {mb} MB per file; only the first sheet is read.").format(
            rows=importing.MAX_ROWS, mb=importing.MAX_FILE_BYTES // (1024 * 1024)
        )
    ]


def _response(workbook: Any, filename: str) -> FileResponse:
    # A spooled file keeps small workbooks in memory and spills large ones to disk.
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(buffer)
    buffer.seek(0)
    response = FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


def _workbook(rows: Iterable[list[Any]]) -> Any:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Stations"))
    sheet.append(_cells(headers()))
    for values in rows:
        sheet.append(values)
    notes = workbook.create_sheet(title=_("Instructions"))
    for values in instructions():
        notes.append(_cells(values))
    return workbook


# --- the three files ---------------------------------------------------------------------------------------


def _audit_division(user: Any, station_filter: StationFilter) -> str:
    if station_filter.division_prefix:
        return station_filter.division_prefix.ljust(12, "0")
    scope = minimal_prefixes(prefixes_for(user, StationsPerm.VIEW))
    return scope[0].ljust(12, "0") if len(scope) == 1 and scope[0] else ""


@transaction.atomic
def export_response(*, actor: Any, station_filter: StationFilter, include_phones: bool) -> FileResponse:
    """The stations workbook for `station_filter`, audited. Full phones only where `actor` manages."""
    manage = prefixes_for(actor, StationsPerm.MANAGE) if include_phones else []
    stations = stations_for_export(user=actor, station_filter=station_filter)
    count = stations[: EXPORT_MAX_ROWS + 1].count()
    truncated = count > EXPORT_MAX_ROWS
    full = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal full
        for station in stations[:EXPORT_MAX_ROWS].iterator(chunk_size=_CHUNK):
            show = bool(manage) and covers(manage, station.division_id)
            full += show and bool(station.contact_phone)
            yield row_values(station, full_phone=show)

    workbook = _workbook(rows())
    response = _response(workbook, f"stations-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx")
    audit.record(
        action=StationsAction.EXPORTED,
        actor=actor,
        target_label=_("Stations export"),
        division_code=_audit_division(actor, station_filter),
        changes={
            "filter": station_filter.as_dict(),
            "rows": min(count, EXPORT_MAX_ROWS),
            "truncated": truncated,
            "phones_included": bool(manage),
            "full_phones": full,
        },
    )
    response["X-Export-Rows"] = str(min(count, EXPORT_MAX_ROWS))
    return response


def example_row(user: Any) -> list[Any]:
    prefixes = [p for p in prefixes_for(user, StationsPerm.MANAGE) if p]
    code = "210105001001"
    if prefixes:
        first = Division.objects.filter(code__startswith=prefixes[0]).order_by("-level", "code").first()
        code = first.code if first else prefixes[0].ljust(12, "0")
    division = Division.objects.filter(code=code).first()
    week = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")} | {
        "sat": [["09:00", "17:00"]]
    }
    return _cells(
        [
            _("Huashan Road caring station (example)"),
            Kind.LOVE_STATION.label,
            code,
            division.name if division else "",
            "",
            _("No. 12 Huashan Road (example)"),
            41.8201,
            123.4201,
            GCJ02,
            _labels([Amenity.WATER, Amenity.TOILET, Amenity.PHONE_CHARGING], Amenity),
            format_hours(week),
            "13800138000",
            Status.OPEN.label,
        ]
    )


def template_response(*, user: Any) -> FileResponse:
    return _response(_workbook([example_row(user)]), "stations-template.xlsx")


def error_report_response(*, sheet: Sheet, errors: list[RowError]) -> FileResponse:
    """The uploaded rows as read, each with its problems in an added 错误 column."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error.as_text())
    workbook = Workbook(write_only=True)
    out = workbook.create_sheet(title=_("Stations"))
    width = len(sheet.header)
    out.append(_cells([*sheet.header, str(ERROR)]))
    red, fill = Font(color="9C0006"), PatternFill("solid", fgColor="FFC7CE")
    for row in sheet.rows:
        cells = (row.cells + [None] * width)[:width]
        message = "；".join(by_row.get(row.number, []))
        error_cell = WriteOnlyCell(out, value=neutralise(message))
        if message:
            error_cell.font, error_cell.fill = red, fill
        out.append([*_cells([c if c is not None else "" for c in cells]), error_cell])
    notes = workbook.create_sheet(title=_("Instructions"))
    for values in instructions():
        notes.append(_cells(values))
    return _response(workbook, "stations-import-errors.xlsx")
