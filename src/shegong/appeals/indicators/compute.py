"""Indicator selectors: the rates of formulas.py per unit or per sub-division over a period.

Population (appeals.md: "over appeals closed in the period"): appeals the caller may see
(`appeals_visible_to`), in state 已办结 (closed) with `closed_at` inside the period (local dates,
inclusive). Appeals with a `RateExclusion` stay in the population but are counted only in the `excluded`
column, never in a rate. Rejected, merged and withdrawn appeals are not 办结 and not counted.

Every rate is one conditional COUNT per side, grouped in SQL (one query for all groups and all rates). Only
the average handling time is summed in Python, over (start, reply) pairs streamed from the database at a
constant cost each (clock.WorkingClock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.choices import AppealsPerm, State
from shegong.appeals.indicators import formulas
from shegong.appeals.indicators.clock import WorkingClock
from shegong.appeals.models import Appeal, RateExclusion, ReturnRecord
from shegong.appeals.selectors import appeals_visible_to
from shegong.core.scoping import division_q, minimal_prefixes, prefixes_for
from shegong.divisions.codes import PREFIX_LENGTHS
from shegong.divisions.models import Division

SECONDS_PER_HOUR = 3600
_CHUNK = 2000


class Grouping(models.TextChoices):
    UNIT = "unit", _("By unit")
    DIVISION = "division", _("By sub-division")


@dataclass(frozen=True)
class Period:
    """Local dates, both inclusive."""

    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in the local time zone."""
        tz = timezone.get_default_timezone()
        after = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(self.start, dt.time.min, tz), dt.datetime.combine(after, dt.time.min, tz)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        """Percentage, None when the denominator is 0 (shown as —, never as 0 % or 100 %)."""
        return None if not self.denominator else self.numerator * 100 / self.denominator


@dataclass
class IndicatorRow:
    key: str
    label: str
    drill_code: str = ""  # a sub-division the page may drill into ("" = none)
    counted: int = 0
    excluded: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # "<rate>_num" / "<rate>_den"
    handling_seconds: int = 0
    handled: int = 0  # counted appeals with both handling timestamps

    def ratio(self, rate_key: str) -> Ratio:
        return Ratio(self.counts.get(f"{rate_key}_num", 0), self.counts.get(f"{rate_key}_den", 0))

    @property
    def avg_hours(self) -> float | None:
        return self.handling_seconds / self.handled / SECONDS_PER_HOUR if self.handled else None

    def add(self, other: IndicatorRow) -> None:
        self.counted += other.counted
        self.excluded += other.excluded
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        self.handling_seconds += other.handling_seconds
        self.handled += other.handled


@dataclass
class IndicatorReport:
    period: Period
    grouping: str
    division: Division | None
    rates: tuple[formulas.Rate, ...]
    rows: list[IndicatorRow]
    total: IndicatorRow

    @property
    def is_empty(self) -> bool:
        return not (self.total.counted or self.total.excluded)

    def cells(self, row: IndicatorRow) -> list[tuple[formulas.Rate, Ratio]]:
        return [(rate, row.ratio(rate.key)) for rate in self.rates]


# --- the population --------------------------------------------------------------------------------------


def closed_in(qs: QuerySet[Appeal], period: Period) -> QuerySet[Appeal]:
    """Appeals of `qs` closed (已办结) inside `period`, marked `was_returned` and `is_excluded`."""
    start, end = period.bounds()
    return qs.filter(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end).annotate(
        was_returned=Exists(ReturnRecord.objects.filter(appeal=OuterRef("pk"))),
        is_excluded=Exists(RateExclusion.objects.filter(appeal=OuterRef("pk"))),
    )


def population(*, user: Any, period: Period, division: Division | None = None) -> QuerySet[Appeal]:
    """The caller's appeals closed in `period`, in `division`'s subtree when given."""
    visible = appeals_visible_to(user=user, division_prefix=division.prefix if division else None)
    return closed_in(visible, period)


COUNTED = Q(is_excluded=False)
EXCLUDED = Q(is_excluded=True)


def _aggregates(rates: Iterable[formulas.Rate]) -> dict[str, Any]:
    aggregates: dict[str, Any] = {
        "counted": Count("pk", filter=COUNTED),
        "excluded": Count("pk", filter=EXCLUDED),
    }
    for rate in rates:
        aggregates[f"{rate.key}_num"] = Count("pk", filter=COUNTED & rate.numerator_q)
        aggregates[f"{rate.key}_den"] = Count("pk", filter=COUNTED & rate.denominator_q)
    return aggregates


# --- grouping --------------------------------------------------------------------------------------------


def child_length(division: Division) -> int:
    """Prefix length of the level below `division` (a community has none: its own length)."""
    index = PREFIX_LENGTHS.index(division.level)
    return PREFIX_LENGTHS[min(index + 1, len(PREFIX_LENGTHS) - 1)]


def default_division(user: Any) -> Division | None:
    """Where a division report starts: the user's one jurisdiction, None for several or nationwide."""
    prefixes = minimal_prefixes(prefixes_for(user, AppealsPerm.VIEW))
    if len(prefixes) != 1 or prefixes[0] == "":
        return None
    return Division.objects.filter(code=prefixes[0].ljust(12, "0")).first()


@dataclass(frozen=True)
class _Groups:
    key: Any  # expression giving each appeal its group key
    label_field: str = ""  # a column holding the label (units)
    labels: dict[str, str] = field(default_factory=dict)
    drillable: bool = False
    itself: str = ""  # the key of appeals filed at the chosen division itself


def _division_groups(user: Any, division: Division | None) -> _Groups:
    if division is not None:
        length = child_length(division)
        return _Groups(
            key=Substr("division_id", 1, length),
            drillable=division.level != PREFIX_LENGTHS[-1],
            itself=division.code[:length],
        )
    prefixes = minimal_prefixes(prefixes_for(user, AppealsPerm.VIEW))
    if "" in prefixes:
        return _Groups(key=Substr("division_id", 1, 2), drillable=True)  # provinces
    whens = [When(division_q("division_id", [p]), then=Value(p)) for p in prefixes]
    return _Groups(key=Case(*whens, default=Value(""), output_field=models.CharField()), drillable=True)


def _division_labels(keys: Iterable[str], groups: _Groups, division: Division | None) -> dict[str, str]:
    codes = {key: key.ljust(12, "0") for key in keys if key}
    names = dict(Division.objects.filter(code__in=codes.values()).values_list("code", "name"))
    labels = {key: names.get(code, code) for key, code in codes.items()}
    if division is not None and groups.itself in labels:
        labels[groups.itself] = gettext("{name} (itself)").format(name=division.name)
    return labels


def indicator_report(
    *, user: Any, period: Period, grouping: str, division: Division | None = None
) -> IndicatorReport:
    """The rates of every group in the caller's scope (or `division`'s subtree) for `period`, plus the
    total. Groups: the responsible unit, or the sub-divisions one level below `division` (below the
    caller's jurisdictions when no division is given)."""
    rate_list = formulas.rates()
    appeals = population(user=user, period=period, division=division)
    if grouping == Grouping.UNIT:
        groups = _Groups(key=F("unit_id"), label_field="unit__name")
    else:
        groups = _division_groups(user, division)
    values = ["grp", groups.label_field] if groups.label_field else ["grp"]
    aggregated = (
        appeals.annotate(grp=groups.key).values(*values).annotate(**_aggregates(rate_list)).order_by()
    )
    rows: dict[str, IndicatorRow] = {}
    for data in aggregated:
        key = str(data["grp"] or "")
        counts = {name: data[name] for name in data if name.endswith(("_num", "_den"))}
        rows[key] = IndicatorRow(
            key=key,
            label=str(data.get(groups.label_field) or key) if groups.label_field else key,
            counted=data["counted"],
            excluded=data["excluded"],
            counts=counts,
        )
    _add_handling_time(appeals, groups.key, rows)
    if grouping != Grouping.UNIT:
        labels = _division_labels(rows, groups, division)
        for key, row in rows.items():
            row.label = labels.get(key) or gettext("Other")
            if groups.drillable and key and key != groups.itself:
                row.drill_code = key.ljust(12, "0")
    total = IndicatorRow(key="", label=gettext("Total"))
    for row in rows.values():
        total.add(row)
    ordered = sorted(rows.values(), key=lambda r: (r.label, r.key))
    return IndicatorReport(period, grouping, division, rate_list, ordered, total)


def _add_handling_time(appeals: QuerySet[Appeal], key: Any, rows: dict[str, IndicatorRow]) -> None:
    start_field = formulas.handling_start_field()
    pairs = (
        appeals.filter(COUNTED, **{f"{start_field}__isnull": False}, replied_at__isnull=False)
        .annotate(grp=key)
        .values_list("grp", start_field, "replied_at")
        .order_by()
    )
    clock = WorkingClock()
    for group, start, end in pairs.iterator(chunk_size=_CHUNK):
        row = rows.get(str(group or ""))
        if row is not None:
            row.handling_seconds += clock.seconds(start, end)
            row.handled += 1


# --- sorting ---------------------------------------------------------------------------------------------


def sort_keys(rates: Iterable[formulas.Rate]) -> list[str]:
    return ["label", "counted", "excluded", "hours", *(rate.key for rate in rates)]


def sort_rows(rows: list[IndicatorRow], sort: str, rates: Iterable[formulas.Rate]) -> list[IndicatorRow]:
    """Rows sorted by a whitelisted key ('-' for descending); a missing value (—) always sorts last."""
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in sort_keys(rates) or name == "label":
        return sorted(rows, key=lambda r: (r.label, r.key), reverse=descending)

    def value(row: IndicatorRow) -> float | None:
        if name in ("counted", "excluded"):
            return float(getattr(row, name))
        if name == "hours":
            return row.avg_hours
        return row.ratio(name).percent

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=lambda r: (value(r), r.label), reverse=descending)
    return present + sorted(missing, key=lambda r: r.label)
