"""Deadlines: a clock's limit for a category and urgency (TimeLimit table, default rows as fallback) applied
to a start time in working time (core.calendar) or calendar time."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from shegong.appeals.choices import Clock, LimitUnit, Urgency
from shegong.appeals.models import Category, TimeLimit
from shegong.core import calendar

# The defaults of appeals.md, used when the table has no row at all (the data migration seeds the same
# values; a flushed test database or an admin's deletion must not leave appeals without deadlines).
DEFAULT_LIMITS: dict[tuple[str, str], tuple[int, str]] = {
    (Clock.SIGN_FOR, Urgency.NORMAL): (2, LimitUnit.WORKING_HOURS),
    (Clock.SIGN_FOR, Urgency.URGENT): (30, LimitUnit.CALENDAR_MINUTES),
    (Clock.FIRST_CONTACT, Urgency.NORMAL): (1, LimitUnit.WORKING_DAYS),
    (Clock.FIRST_CONTACT, Urgency.URGENT): (2, LimitUnit.CALENDAR_HOURS),
    (Clock.HANDLE, Urgency.NORMAL): (5, LimitUnit.WORKING_DAYS),
    (Clock.HANDLE, Urgency.URGENT): (1, LimitUnit.WORKING_DAYS),
    (Clock.REVISIT, Urgency.NORMAL): (3, LimitUnit.WORKING_DAYS),
    (Clock.REVISIT, Urgency.URGENT): (3, LimitUnit.WORKING_DAYS),
}

# 退单 is allowed only this many working hours after dispatch.
RETURN_WINDOW_WORKING_HOURS = 2
# A replied appeal nobody rated is closed as 未评价 after this many calendar days.
UNRATED_CLOSE_AFTER = dt.timedelta(days=7)


def limit_for(*, clock: str, urgency: str, category: Category | None) -> tuple[int, str]:
    """(amount, unit) for a clock: the category's own row, else its parent's, else the default row."""
    candidates = [c.pk for c in (category, category.parent if category else None) if c is not None]
    rows = {
        row.category_id: row
        for row in TimeLimit.objects.filter(clock=clock, urgency=urgency).filter(
            Q(category_id__in=candidates) | Q(category__isnull=True)
        )
    }
    for key in [*candidates, None]:
        if key in rows:
            return rows[key].amount, rows[key].unit
    return DEFAULT_LIMITS[(clock, urgency)]


def apply_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    if unit == LimitUnit.WORKING_HOURS:
        return calendar.add_working_hours(start, amount)
    if unit == LimitUnit.WORKING_DAYS:
        return calendar.add_working_days(start, amount)
    if unit == LimitUnit.CALENDAR_MINUTES:
        return start + dt.timedelta(minutes=amount)
    if unit == LimitUnit.CALENDAR_HOURS:
        return start + dt.timedelta(hours=amount)
    raise ValueError(f"unknown time-limit unit {unit!r}")


def due(*, clock: str, urgency: str, category: Category | None, start: dt.datetime) -> dt.datetime:
    amount, unit = limit_for(clock=clock, urgency=urgency, category=category)
    return apply_limit(start, amount, unit)
