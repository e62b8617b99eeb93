"""Working time between many pairs of instants, at constant cost per pair.

`core.calendar.working_seconds_between(a, b)` walks every day from a to b. Averaging the handling time of
tens of thousands of appeals that way walks the same days again and again, so this clock keeps, per local
date, the working seconds of all earlier days (a prefix sum, filled lazily from the first date asked for).
The working time from a to b is then offset(b) − offset(a), where offset(t) is the prefix sum of t's date
plus the working seconds of that date up to t. Days are measured with the calendar's own function, so
holidays, 调休 and SHEGONG_WORKDAY_START/END apply exactly as for deadlines.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from shegong.core.calendar import working_seconds_between


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


class WorkingClock:
    """Working seconds between aware datetimes; one instance per computation (it caches days)."""

    def __init__(self) -> None:
        self._first: dt.date | None = None
        self._before: list[int] = []  # _before[i]: working seconds of the days first … first+i−1

    def _prefix(self, day: dt.date) -> int:
        """Working seconds from the first cached date up to the start of `day` (negative before it)."""
        if self._first is None:
            self._first, self._before = day, [0]
        if day < self._first:
            # Grow the table backwards: re-anchor on `day` and shift the existing sums.
            gap = (self._first - day).days
            head = [0]
            for i in range(gap):
                head.append(head[-1] + self._day_seconds(day + dt.timedelta(days=i)))
            shift = head[-1]
            self._before = head[:-1] + [value + shift for value in self._before]
            self._first = day
        index = (day - self._first).days
        while len(self._before) <= index:
            last = self._first + dt.timedelta(days=len(self._before) - 1)
            self._before.append(self._before[-1] + self._day_seconds(last))
        return self._before[index]

    @staticmethod
    def _day_seconds(day: dt.date) -> int:
        return working_seconds_between(_midnight(day), _midnight(day + dt.timedelta(days=1)))

    def _offset(self, value: dt.datetime) -> int:
        local = timezone.localtime(value)
        day = local.date()
        return self._prefix(day) + working_seconds_between(_midnight(day), local)

    def seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working seconds from `start` to `end` (0 when `end` is earlier)."""
        # Cover both dates first: growing the table backwards re-anchors it, and two offsets are only
        # comparable when taken against the same anchor.
        for value in (start, end):
            self._prefix(timezone.localtime(value).date())
        return max(0, self._offset(end) - self._offset(start))
