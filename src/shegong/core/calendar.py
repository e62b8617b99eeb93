"""Working-day calendar for deadlines and SLA clocks (statutory holidays and 调休 included).

Rule: a date is a working day if a `CalendarDay` row says so, otherwise Monday–Friday. The rows are
exceptions only (a statutory holiday on a weekday, a 调休 working weekend), seeded from the
`chinese_calendar` package and importable per year (`seed_calendar`). A year without a `CalendarYear` row
is not loaded: it silently falls back to weekends only, and `missing_years_warning()` tells admins.

Working hours come from settings SHEGONG_WORKDAY_START/END ("09:00"–"17:30", no lunch break). Every
datetime argument must be aware; results are in the default time zone (Asia/Shanghai).

Caching. Each process keeps the exceptions in memory, one dict per year, loaded by one query the first
time a year is needed. Validity is checked with a fingerprint of both tables (two aggregate queries) at
most once every RECHECK_SECONDS. Why not a version key in Django's cache: the default cache is a
per-process LocMemCache (Redis is optional), so a bump made by the web process would never reach the
worker. The database is the one thing every process shares. The services below also clear the local
cache at once (and again on commit), and model signals catch edits made through the ORM, so the process
that made a change never sees stale data; other processes see it within RECHECK_SECONDS, which is
harmless for a schedule published weeks ahead.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext

from shegong.core import audit
from shegong.core.audit import CoreAction
from shegong.core.models import CalendarDay, CalendarYear

__all__ = [
    "RECHECK_SECONDS",
    "ImportSummary",
    "ScheduleRow",
    "add_working_days",
    "add_working_hours",
    "import_year",
    "invalidate",
    "is_working_day",
    "load_from_package",
    "loaded_years",
    "mark_year",
    "missing_years",
    "missing_years_warning",
    "next_working_start",
    "package_schedule",
    "set_day",
    "working_seconds_between",
]

RECHECK_SECONDS = 30
# A calendar with no working day for a whole year is corrupt; stop instead of looping forever.
_MAX_SEARCH_DAYS = 400


class ScheduleRow(NamedTuple):
    """One day of a published schedule (the CSV columns date,is_workday,name)."""

    date: dt.date
    is_workday: bool
    name: str = ""


@dataclass(frozen=True)
class ImportSummary:
    year: int
    days_off: int  # statutory holidays on weekdays
    working_weekends: int  # 调休 working Saturdays/Sundays
    skipped: int  # rows equal to the normal week (e.g. a holiday on a Sunday), not stored
    replaced: int  # exception rows the year had before


# --- working hours --------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _parse_hours(start: str, end: str) -> tuple[dt.time, dt.time]:
    try:
        opens, closes = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    except ValueError as exc:
        raise ImproperlyConfigured("SHEGONG_WORKDAY_START/END must look like 09:00") from exc
    if opens >= closes:
        raise ImproperlyConfigured("SHEGONG_WORKDAY_START must be earlier than SHEGONG_WORKDAY_END")
    return opens, closes


def _hours() -> tuple[dt.time, dt.time]:
    # Read on every call (parsing is cached) so override_settings in tests and per-deploy values work.
    return _parse_hours(settings.SHEGONG_WORKDAY_START, settings.SHEGONG_WORKDAY_END)


def _local(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError("expected a datetime")
    if timezone.is_naive(value):
        raise ValueError("naive datetime: the working-day calendar needs aware datetimes")
    return timezone.localtime(value)


def _window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The working hours of `day` as aware datetimes (whether or not `day` is a working day)."""
    opens, closes = _hours()
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(day, opens, tzinfo=tz), dt.datetime.combine(day, closes, tzinfo=tz)


# --- the in-process cache -------------------------------------------------------------------------------


@dataclass
class _State:
    fingerprint: tuple[Any, ...] | None = None
    checked_at: float = -math.inf  # time.monotonic() of the last fingerprint query
    years: frozenset[int] = frozenset()
    exceptions: dict[int, dict[dt.date, bool]] = field(default_factory=dict)


_lock = threading.Lock()
_state = _State()


def invalidate() -> None:
    """Forget everything cached in this process; the next call reloads from the database."""
    global _state
    with _lock:
        _state = _State()


def _fingerprint() -> tuple[tuple[Any, ...], frozenset[int]]:
    # CalendarYear is tiny (one row per year) and its loaded_at moves on every import or edit of a loaded
    # year; the day counts catch edits to years that are not loaded.
    years = sorted(CalendarYear.objects.values_list("year", "loaded_at"))
    days = CalendarDay.objects.aggregate(n=Count("pk"), work=Count("pk", filter=Q(is_workday=True)))
    return (tuple(years), days["n"], days["work"]), frozenset(year for year, _ in years)


def _current() -> _State:
    global _state
    state = _state
    if time.monotonic() - state.checked_at < RECHECK_SECONDS:
        return state
    with _lock:
        now = time.monotonic()
        if now - _state.checked_at < RECHECK_SECONDS:
            return _state  # another thread refreshed it while this one waited for the lock
        fingerprint, years = _fingerprint()
        if fingerprint != _state.fingerprint:
            _state = _State(fingerprint=fingerprint, years=years)
        _state.checked_at = now
        return _state


def _exceptions(year: int) -> dict[dt.date, bool]:
    state = _current()
    cached = state.exceptions.get(year)
    if cached is None:
        rows = CalendarDay.objects.filter(date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        cached = dict(rows.values_list("date", "is_workday"))
        with _lock:
            state.exceptions[year] = cached
    return cached


def _on_row_change(**kwargs: Any) -> None:
    invalidate()


# Rows edited through the ORM (admin, shell, tests) in this process invalidate at once. No dispatch_uid
# clash: this module is imported once.
for _model in (CalendarDay, CalendarYear):
    post_save.connect(_on_row_change, sender=_model, dispatch_uid=f"shegong.calendar.save.{_model.__name__}")
    post_delete.connect(_on_row_change, sender=_model, dispatch_uid=f"shegong.calendar.del.{_model.__name__}")


def _invalidate_everywhere_here() -> None:
    invalidate()
    # A read inside the writing transaction may have cached the new rows; clear again once committed.
    transaction.on_commit(invalidate)


# --- queries --------------------------------------------------------------------------------------------


def _is_weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def is_working_day(d: dt.date) -> bool:
    """True if `d` is a working day (an aware datetime is taken in the local time zone)."""
    if isinstance(d, dt.datetime):
        d = _local(d).date()
    override = _exceptions(d.year).get(d)
    return _is_weekday(d) if override is None else override


def _next_working_date(day: dt.date) -> dt.date:
    """The first working day strictly after `day`."""
    for offset in range(1, _MAX_SEARCH_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if is_working_day(candidate):
            return candidate
    raise RuntimeError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}: check the calendar")


def next_working_start(value: dt.datetime) -> dt.datetime:
    """The earliest working instant at or after `value`: `value` itself inside working hours, otherwise the
    start of the next working period (today's if it has not started yet)."""
    local = _local(value)
    today = local.date()
    if is_working_day(today):
        opens, closes = _window(today)
        if local < opens:
            return opens
        if local < closes:
            return local
    return _window(_next_working_date(today))[0]


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same clock time on the `days`-th working day after `start`; a start outside working hours
    counts from the next working start (Friday 20:00 + 1 → Tuesday 09:00 in a normal week)."""
    if days < 0:
        raise ValueError("days must not be negative")
    begin = next_working_start(start)
    day = begin.date()
    for _ in range(days):
        day = _next_working_date(day)
    return dt.datetime.combine(day, begin.time(), tzinfo=timezone.get_default_timezone())


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """`start` plus `hours` of working time, counted only inside working windows. A deadline that uses up
    a day exactly ends at that day's closing time (17:30), not at the next morning."""
    if hours < 0 or not math.isfinite(hours):
        raise ValueError("hours must be a finite, non-negative number")
    remaining = dt.timedelta(hours=hours)
    current = next_working_start(start)
    while True:
        closes = _window(current.date())[1]
        available = closes - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = _window(_next_working_date(current.date()))[0]


def working_seconds_between(a: dt.datetime, b: dt.datetime) -> int:
    """Working seconds from `a` to `b`; negative when `b` is earlier (time left before a deadline)."""
    start, end = _local(a), _local(b)
    if end < start:
        return -working_seconds_between(b, a)
    total = dt.timedelta(0)
    day = start.date()
    while day <= end.date():
        if is_working_day(day):
            opens, closes = _window(day)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += hi - lo
        day += dt.timedelta(days=1)
    return int(total.total_seconds())


def loaded_years() -> frozenset[int]:
    """Years whose holiday schedule is loaded."""
    return _current().years


def missing_years(today: dt.date | None = None) -> list[int]:
    """The years deadlines need now but which have no schedule: this year, and from 1 December the next
    one too (a deadline set in December often falls in January)."""
    today = today or timezone.localdate()
    needed = [today.year, today.year + 1] if today.month == 12 else [today.year]
    years = loaded_years()
    return [year for year in needed if year not in years]


def missing_years_warning(today: dt.date | None = None) -> str | None:
    """The warning shown to platform admins on the desk while a needed year is not loaded, else None."""
    missing = missing_years(today)
    if not missing:
        return None
    return gettext(
        "The holiday schedule for {years} is not loaded; deadlines fall back to weekends only. "
        "Import it with the command “shegong seed calendar FILE.csv” or enter it in the admin."
    ).format(years=", ".join(str(year) for year in missing))


# --- services -------------------------------------------------------------------------------------------


def _touch_year(year: int) -> None:
    # Moves the fingerprint so that other processes reload within RECHECK_SECONDS.
    CalendarYear.objects.filter(year=year).update(loaded_at=timezone.now())


@transaction.atomic
def set_day(*, actor: Any, date: dt.date, is_workday: bool, name: str = "") -> CalendarDay | None:
    """Make `date` a working day or a day off. A value equal to the normal week (a working Wednesday, a
    free Sunday) removes the exception row instead, so the table keeps exceptions only. Audited."""
    if isinstance(date, dt.datetime):
        raise TypeError("set_day takes a date, not a datetime")
    before = CalendarDay.objects.select_for_update().filter(pk=date).first()
    before_state = {"is_workday": before.is_workday, "name": before.name} if before else None
    day: CalendarDay | None
    if is_workday == _is_weekday(date):
        if before is not None:
            before.delete()
        day = None
    else:
        day = before or CalendarDay(date=date)
        day.is_workday = is_workday
        day.name = name.strip()
        day.full_clean()
        day.save()
    _touch_year(date.year)
    audit.record(
        action=CoreAction.CALENDAR_CHANGED,
        actor=actor,
        target=day,
        target_label=date.isoformat(),
        changes={
            "date": date.isoformat(),
            "before": before_state,
            "after": {"is_workday": day.is_workday, "name": day.name} if day else None,
        },
    )
    _invalidate_everywhere_here()
    return day


def _validate_rows(year: int, rows: list[ScheduleRow]) -> None:
    errors: list[ValidationError] = []
    seen: set[dt.date] = set()
    name_max = CalendarDay._meta.get_field("name").max_length or 40
    for row in rows:
        if row.date.year != year:
            errors.append(
                ValidationError(
                    gettext("{date} is not in {year}.").format(date=row.date.isoformat(), year=year)
                )
            )
        if row.date in seen:
            errors.append(ValidationError(gettext("{date} appears twice.").format(date=row.date.isoformat())))
        seen.add(row.date)
        if len(row.name) > name_max:
            errors.append(
                ValidationError(
                    gettext("The name of {date} is longer than {n} characters.").format(
                        date=row.date.isoformat(), n=name_max
                    )
                )
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def import_year(
    *,
    actor: Any,
    year: int,
    rows: Iterable[ScheduleRow],
    source: str = CalendarYear.Source.IMPORT,
    note: str = "",
    actor_label: str = "",
) -> ImportSummary:
    """Replace one year's schedule with `rows` and mark the year as loaded, atomically. Rows equal to the
    normal week (a holiday on a Sunday) are accepted but not stored. Audited."""
    if not 1900 <= year <= 9999:
        raise ValidationError(gettext("{year} is not a valid year.").format(year=year))
    rows = list(rows)
    _validate_rows(year, rows)
    kept = [row for row in rows if row.is_workday != _is_weekday(row.date)]
    replaced, _ = CalendarDay.objects.filter(
        date__range=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ).delete()
    days = [CalendarDay(date=row.date, is_workday=row.is_workday, name=row.name.strip()) for row in kept]
    for day in days:
        day.full_clean(validate_unique=False)  # the year was just emptied and dates are checked unique
    CalendarDay.objects.bulk_create(days)
    marker = CalendarYear.objects.filter(year=year).first() or CalendarYear(year=year)
    marker.source = source
    marker.note = note
    marker.full_clean(validate_unique=False)
    marker.save()
    summary = ImportSummary(
        year=year,
        days_off=sum(1 for row in kept if not row.is_workday),
        working_weekends=sum(1 for row in kept if row.is_workday),
        skipped=len(rows) - len(kept),
        replaced=replaced,
    )
    audit.record(
        action=CoreAction.CALENDAR_IMPORTED,
        actor=actor,
        actor_label=actor_label,
        target=marker,
        changes={
            "year": year,
            "source": source,
            "days_off": summary.days_off,
            "working_weekends": summary.working_weekends,
            "replaced": replaced,
        },
    )
    _invalidate_everywhere_here()
    return summary


@transaction.atomic
def mark_year(*, actor: Any, year: int, loaded: bool, note: str = "") -> CalendarYear | None:
    """Mark a year entered by hand (day by day) as loaded, or unload a year so that it falls back to
    weekends and the desk warns again. The year's day rows are kept either way. Audited."""
    marker = CalendarYear.objects.filter(year=year).first()
    before = marker.source if marker else None
    if loaded:
        marker = marker or CalendarYear(year=year, source=CalendarYear.Source.MANUAL)
        marker.note = note or marker.note
        marker.full_clean(validate_unique=False)
        marker.save()
    elif marker is not None:
        marker.delete()
        marker = None
    audit.record(
        action=CoreAction.CALENDAR_CHANGED,
        actor=actor,
        target=marker,
        target_label=str(year),
        changes={"year": year, "loaded": loaded, "source_before": before},
    )
    _invalidate_everywhere_here()
    return marker


# --- the chinese_calendar package -----------------------------------------------------------------------

# Holiday enum member → the name shown to users (the package's own Chinese is short: 清明, 端午, 中秋).
PACKAGE_HOLIDAY_NAMES = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "mid_autumn_festival": "中秋节",
    "national_day": "国庆节",
    "anti_fascist_70th_day": "抗战胜利70周年纪念日",
}
WORKDAY_SUFFIX = "补班"  # 调休 working weekend: "春节补班"


def package_schedule() -> dict[int, list[ScheduleRow]]:
    """The exceptions the installed chinese_calendar package knows, grouped by year."""
    from chinese_calendar import constants

    def chinese(value: str) -> str:
        member = constants.Holiday(value)
        return str(PACKAGE_HOLIDAY_NAMES.get(member.name, member.chinese))

    schedule: dict[int, list[ScheduleRow]] = {}
    years = {day.year for day in constants.holidays} | {day.year for day in constants.workdays}
    for year in sorted(years):
        schedule[year] = []
    for day, value in constants.holidays.items():
        if _is_weekday(day):
            schedule[day.year].append(ScheduleRow(day, False, chinese(value)))
    for day, value in constants.workdays.items():
        if not _is_weekday(day):
            schedule[day.year].append(ScheduleRow(day, True, chinese(value) + WORKDAY_SUFFIX))
    for rows in schedule.values():
        rows.sort()
    return schedule


def load_from_package(*, actor: Any, actor_label: str = "") -> list[ImportSummary]:
    """Reload every year the chinese_calendar package knows (replacing those years' rows)."""
    import chinese_calendar

    note = "chinesecalendar {version}".format(version=getattr(chinese_calendar, "__version__", "?"))
    with transaction.atomic():
        return [
            import_year(
                actor=actor,
                actor_label=actor_label,
                year=year,
                rows=rows,
                source=CalendarYear.Source.PACKAGE,
                note=note,
            )
            for year, rows in package_schedule().items()
        ]
