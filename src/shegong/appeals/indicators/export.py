"""The indicator report as an Excel workbook (openpyxl): the summary the page shows, a detail sheet of the
counted appeals, and a sheet of the excluded ones.

- Phone numbers only masked (core.pii.mask_phone), never in full; an anonymous worker's not even masked.
- Every text cell a spreadsheet would read as a formula is prefixed with ' (core.exports.neutralise).
- At most EXPORT_MAX_ROWS appeals per sheet; the summary and the audit row say when it was cut.
- The INDICATORS_EXPORTED audit row is written in the transaction that reads the rows; the file is built
  before the response starts, so a failure leaves no audit row for a file nobody received.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import Satisfaction, Urgency
from shegong.appeals.indicators import formulas
from shegong.appeals.indicators.clock import WorkingClock
from shegong.appeals.indicators.compute import (
    COUNTED,
    EXCLUDED,
    SECONDS_PER_HOUR,
    Grouping,
    IndicatorReport,
)
from shegong.appeals.models import Appeal, RateExclusion
from shegong.core import audit
from shegong.core.exports import neutralise
from shegong.core.pii import mask_phone

EXPORT_MAX_ROWS = 50_000
_CHUNK = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _when(condition: str) -> Case:
    return Case(
        When(formulas.CONDITIONS[condition], then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _time(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _percent(value: float | None) -> float | str:
    return round(value, 1) if value is not None else "—"


def _hours(seconds: int | None) -> float | str:
    return round(seconds / SECONDS_PER_HOUR, 1) if seconds is not None else "—"


def _cells(values: list[Any]) -> list[Any]:
    """Numbers stay numbers; every text is neutralised."""
    return [v if isinstance(v, int | float) and not isinstance(v, bool) else neutralise(v) for v in values]


# --- sheets ----------------------------------------------------------------------------------------------


def _summary(report: IndicatorReport, truncated: bool) -> Iterator[list[Any]]:
    period = report.period
    yield [_("Appeal indicators")]
    yield [_("Period"), f"{period.start.isoformat()} – {period.end.isoformat()}"]
    yield [_("Group"), str(Grouping(report.grouping).label)]
    yield [_("Division"), report.division.name if report.division else _("Whole jurisdiction")]
    yield [_("Exported at"), _time(timezone.now())]
    if truncated:
        yield [_("The detail sheets were cut at {n} appeals.").format(n=EXPORT_MAX_ROWS)]
    yield []
    header = [_("Group"), _("Counted appeals"), _("Excluded")]
    for rate in report.rates:
        header += [f"{rate.label} (%)", _("{rate}: numerator").format(rate=rate.label)]
        header += [_("{rate}: denominator").format(rate=rate.label)]
    yield [*header, _("Average handling time (working hours)")]
    for row in [*report.rows, report.total]:
        values: list[Any] = [row.label, row.counted, row.excluded]
        for rate in report.rates:
            ratio = row.ratio(rate.key)
            values += [_percent(ratio.percent), ratio.numerator, ratio.denominator]
        yield [*values, _percent(row.avg_hours)]
    yield []
    yield [_("Formulas")]
    for rate in report.rates:
        numerator = " ∧ ".join((*rate.denominator, *rate.numerator))
        yield [str(rate.label), f"{numerator} ÷ {' ∧ '.join(rate.denominator)}"]
    yield [_("Handling time from"), formulas.handling_start_field()]


def detail_headers() -> list[str]:
    return [
        _("Tracking number"),
        _("Category"),
        _("Responsible unit"),
        _("Division"),
        _("Urgency"),
        _("Mobile phone"),
        _("Dispatched at"),
        _("Signed for at"),
        _("Sign for by"),
        _("Signed for in time"),
        _("First contacted at"),
        _("First contact by"),
        _("Contacted in time"),
        _("Replied at"),
        _("Reply by"),
        _("Replied in time"),
        _("Closed at"),
        _("Returned"),
        _("Times sent back for redo"),
        _("Resolved"),
        _("Satisfaction"),
        _("Handling time (working hours)"),
    ]


def _phone(appeal: Appeal) -> str:
    if appeal.anonymous:
        return _("Anonymous")
    return mask_phone(appeal.phone or "")


def _detail(appeals: QuerySet[Appeal]) -> Iterator[list[Any]]:
    start_field = formulas.handling_start_field()
    clock = WorkingClock()
    rows = (
        appeals.filter(COUNTED)
        .annotate(
            signed_ok=_when("signed_in_time"),
            contacted_ok=_when("contacted_in_time"),
            replied_ok=_when("replied_in_time"),
        )
        .select_related("category", "unit", "division")
        .order_by("closed_at", "pk")[:EXPORT_MAX_ROWS]
    )
    for appeal in rows.iterator(chunk_size=_CHUNK):
        start = getattr(appeal, start_field)
        seconds = clock.seconds(start, appeal.replied_at) if start and appeal.replied_at else None
        yield [
            appeal.tracking_no,
            appeal.category.name if appeal.category else "",
            appeal.unit.name if appeal.unit else "",
            appeal.division.name,
            Urgency(appeal.urgency).label,
            _phone(appeal),
            _time(appeal.dispatched_at),
            _time(appeal.signed_at),
            _time(appeal.sign_due_at),
            _yes_no(appeal.signed_ok),
            _time(appeal.first_contact_at),
            _time(appeal.contact_due_at),
            _yes_no(appeal.contacted_ok),
            _time(appeal.replied_at),
            _time(appeal.handle_due_at),
            _yes_no(appeal.replied_ok),
            _time(appeal.closed_at),
            _yes_no(appeal.was_returned),  # type: ignore[attr-defined]
            appeal.redo_count,
            _yes_no(appeal.resolved),
            Satisfaction(appeal.satisfaction).label if appeal.satisfaction else _("Not rated"),
            _hours(seconds),
        ]


def _excluded(appeals: QuerySet[Appeal]) -> Iterator[list[Any]]:
    exclusions = (
        RateExclusion.objects.filter(appeal__in=appeals.filter(EXCLUDED).values("pk"))
        .select_related("appeal__unit", "by")
        .order_by("at", "pk")[:EXPORT_MAX_ROWS]
    )
    for exclusion in exclusions.iterator(chunk_size=_CHUNK):
        yield [
            exclusion.appeal.tracking_no,
            exclusion.appeal.unit.name if exclusion.appeal.unit else "",
            _time(exclusion.appeal.closed_at),
            _time(exclusion.at),
            exclusion.by.get_username(),
            exclusion.reason,
        ]


# --- the file --------------------------------------------------------------------------------------------


def filename(report: IndicatorReport) -> str:
    return f"appeal-indicators-{report.period.start:%Y%m%d}-{report.period.end:%Y%m%d}.xlsx"


@transaction.atomic
def export_response(*, actor: Any, report: IndicatorReport, appeals: QuerySet[Appeal]) -> FileResponse:
    """The workbook for `report`; `appeals` is the report's population (compute.population). Audited."""
    from openpyxl import Workbook

    counted = appeals.filter(COUNTED)[: EXPORT_MAX_ROWS + 1].count()
    excluded = appeals.filter(EXCLUDED)[: EXPORT_MAX_ROWS + 1].count()
    truncated = max(counted, excluded) > EXPORT_MAX_ROWS

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(title=_("Summary"))
    for values in _summary(report, truncated):
        summary.append(_cells(values))
    detail = workbook.create_sheet(title=_("Appeal details"))
    detail.append(_cells(detail_headers()))
    for values in _detail(appeals):
        detail.append(_cells(values))
    left_out = workbook.create_sheet(title=_("Excluded"))
    left_out.append(
        _cells(
            [
                _("Tracking number"),
                _("Responsible unit"),
                _("Closed at"),
                _("Excluded at"),
                _("Excluded by"),
                _("Reason"),
            ]
        )
    )
    for values in _excluded(appeals):
        left_out.append(_cells(values))
    # A spooled file keeps small workbooks in memory and spills large ones to disk.
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    workbook.save(buffer)
    buffer.seek(0)

    division = report.division
    audit.record(
        action=AppealsAction.INDICATORS_EXPORTED,
        actor=actor,
        target_label=_("Appeal indicators {start} – {end}").format(
            start=report.period.start.isoformat(), end=report.period.end.isoformat()
        ),
        division_code=division.code if division else "",
        changes={
            "period": [report.period.start.isoformat(), report.period.end.isoformat()],
            "group": report.grouping,
            "division": division.code if division else "",
            "appeals": min(counted, EXPORT_MAX_ROWS),
            "excluded": min(excluded, EXPORT_MAX_ROWS),
            "truncated": truncated,
        },
    )
    response = FileResponse(buffer, as_attachment=True, filename=filename(report), content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response
