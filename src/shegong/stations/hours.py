"""Opening hours: a weekly table per station plus dated exceptions, and "open now" in Asia/Shanghai.

Weekly table (the `opening_hours` JSON), one key per weekday that opens; a missing day is closed:
    {"mon": [["08:00", "12:00"], ["14:00", "20:00"]], "sat": "24h", ...}
Times are HH:MM, a range is half-open [start, end), "24:00" may end a day. A night that runs past midnight
is written as two ranges: ["18:00", "24:00"] on one day and ["00:00", "02:00"] on the next.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
ALL_DAY = "24h"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # stations are in China whatever the server's zone
_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")

Ranges = list[tuple[int, int]]  # minutes since midnight, [start, end)


def _minutes(value: object, *, where: str) -> int:
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValidationError(
            _("{where}: “{value}” is not a time of day in HH:MM form.").format(where=where, value=value),
            code="bad_time",
        )
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def parse_day(value: object, *, where: str) -> Ranges:
    """One day's ranges as minutes, validated: start < end, sorted, no overlaps; "24h" is the whole day."""
    if value == ALL_DAY:
        return [(0, 24 * 60)]
    if not isinstance(value, list):
        raise ValidationError(
            _("{where}: give a list of [opening, closing] times or “24h”.").format(where=where),
            code="bad_day",
        )
    ranges: Ranges = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise ValidationError(
                _("{where}: each range is a pair [opening, closing].").format(where=where), code="bad_range"
            )
        start, end = _minutes(item[0], where=where), _minutes(item[1], where=where)
        if start == 24 * 60 or start >= end:
            raise ValidationError(
                _(
                    "{where}: the range {start}–{end} must open before it closes; "
                    "split a night past midnight over two days."
                ).format(where=where, start=item[0], end=item[1]),
                code="start_after_end",
            )
        ranges.append((start, end))
    ranges.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(ranges):
        if s2 < e1:
            raise ValidationError(_("{where}: the time ranges overlap.").format(where=where), code="overlap")
    return ranges


def validate_opening_hours(value: object) -> None:
    """Model-field validator for the weekly table."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            _("Opening hours must map weekdays (mon … sun) to time ranges."), code="bad_table"
        )
    unknown = sorted(str(k) for k in value if k not in WEEKDAYS)
    if unknown:
        raise ValidationError(
            _("Unknown weekday keys: {keys}. Use mon, tue, wed, thu, fri, sat, sun.").format(
                keys=", ".join(unknown)
            ),
            code="bad_weekday",
        )
    for day, ranges in value.items():
        parse_day(ranges, where=day)


def _within(ranges: Ranges, minute: int) -> bool:
    return any(start <= minute < end for start, end in ranges)


def is_open_at(weekly: Mapping[str, Any], exceptions: Mapping[date, Any], at: datetime) -> bool:
    """Whether the table is open at the aware instant `at`, with `exceptions` ({date: None for closed,
    or that day's ranges}) replacing the weekday's hours on their dates."""
    local = at.astimezone(LOCAL_TZ)
    day = local.date()
    if day in exceptions:
        special = exceptions[day]
        if special is None:
            return False
        ranges = parse_day(special, where=day.isoformat())
    else:
        ranges = parse_day(weekly.get(WEEKDAYS[local.weekday()], []), where=WEEKDAYS[local.weekday()])
    return _within(ranges, local.hour * 60 + local.minute)
