"""Exporting the audit log (CSV streamed, Excel .xlsx) for the auditor's current filter.

- At most EXPORT_MAX_ROWS rows, newest first; the page says so and the file is cut there.
- Nothing is decrypted: services write personal data into `changes` already masked.
- Every text cell that a spreadsheet would read as a formula (= + - @, tab, CR) is prefixed with ' (OWASP
  "CSV injection"), in CSV and Excel alike.
- The export writes its own AUDIT_EXPORTED row (format, filter, row count) before the first byte is sent.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.core import audit
from shegong.core.audit import CoreAction, action_label
from shegong.core.forms import AuditFilterForm
from shegong.core.models import AuditEvent

EXPORT_MAX_ROWS = 50_000
FORMATS = ("csv", "xlsx")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 2000


def neutralise(value: Any) -> str:
    """The cell text, with a leading ' when a spreadsheet would otherwise evaluate it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def headers() -> list[str]:
    return [
        _("Time"),
        _("Actor"),
        _("Actor role"),
        _("Action code"),
        _("Action"),
        _("Outcome"),
        _("Target type"),
        _("Target ID"),
        _("Target"),
        _("Division code"),
        _("IP address"),
        _("Request ID"),
        _("Changes"),
    ]


def row_values(event: AuditEvent) -> list[str]:
    values = [
        timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
        event.actor_label,
        event.actor_role,
        event.action,
        action_label(event.action),
        event.get_outcome_display(),
        event.target_type,
        event.target_id,
        event.target_label,
        event.division_code,
        event.ip or "",
        event.request_id,
        json.dumps(event.changes, ensure_ascii=False, sort_keys=True) if event.changes else "",
    ]
    return [neutralise(v) for v in values]


@dataclass(frozen=True)
class ExportPlan:
    fmt: str
    rows: QuerySet[AuditEvent]
    count: int
    truncated: bool

    @property
    def filename(self) -> str:
        return f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.{self.fmt}"


def _export_division(form: AuditFilterForm) -> str:
    # The export's own row belongs where the exported rows do: the division filtered on, else the
    # auditor's single jurisdiction; an auditor of several areas (or nationwide) exports nationwide.
    prefix = form.cleaned_data.get("division") or ""
    if not prefix:
        scope = set(form.scope)
        prefix = scope.pop() if len(scope) == 1 else ""
    return prefix.ljust(12, "0") if prefix else ""


@transaction.atomic
def plan_export(*, actor: Any, form: AuditFilterForm, fmt: str) -> ExportPlan:
    """Fix the rows of an export (the filter as of now, capped) and write the AUDIT_EXPORTED row.

    `form` must be valid. The newest matching id is pinned first, so rows written while the file streams
    (including this export's own row) do not shift it; the count in the audit row is the count exported.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    matching = form.events()
    # The table's newest id (a primary-key index lookup, not a scan of the filtered rows).
    newest = AuditEvent.objects.aggregate(newest=Max("id"))["newest"]
    pinned = matching.filter(id__lte=newest) if newest is not None else matching.none()
    count = pinned[: EXPORT_MAX_ROWS + 1].count()  # a capped count: never a COUNT(*) of the whole table
    truncated = count > EXPORT_MAX_ROWS
    count = min(count, EXPORT_MAX_ROWS)
    audit.record(
        action=CoreAction.AUDIT_EXPORTED,
        actor=actor,
        target_label=_("Audit log export ({fmt})").format(fmt=fmt),
        division_code=_export_division(form),
        changes={"format": fmt, "filter": form.active_filter(), "rows": count, "truncated": truncated},
    )
    return ExportPlan(fmt=fmt, rows=pinned[:EXPORT_MAX_ROWS], count=count, truncated=truncated)


def _events(plan: ExportPlan) -> Iterator[AuditEvent]:
    return plan.rows.iterator(chunk_size=_CHUNK)


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(plan: ExportPlan) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly only with it
    yield writer.writerow(headers())
    for event in _events(plan):
        yield writer.writerow(row_values(event))


def csv_response(plan: ExportPlan) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(plan), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{plan.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Export-Rows"] = str(plan.count)
    return response


def xlsx_response(plan: ExportPlan) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Audit log"))
    sheet.append(headers())
    for event in _events(plan):
        sheet.append(row_values(event))
    # A spooled file keeps small exports in memory and spills 50,000-row ones to disk.
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(buffer)
    buffer.seek(0)
    response = FileResponse(
        buffer,
        as_attachment=True,
        filename=plan.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Cache-Control"] = "no-store"
    response["X-Export-Rows"] = str(plan.count)
    return response
