"""The working-day calendar: seeded schedule, deadline arithmetic, fallback and warning, imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from chinese_calendar import constants as package
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone, translation
from pytest_django import DjangoAssertNumQueries

from shegong.accounts.choices import Role
from shegong.accounts.models import User
from shegong.core import calendar
from shegong.core.audit import CoreAction
from shegong.core.calendar import (
    ScheduleRow,
    add_working_days,
    add_working_hours,
    is_working_day,
    missing_years_warning,
    next_working_start,
    working_seconds_between,
)
from shegong.core.models import AuditEvent, CalendarDay, CalendarYear
from tests.support.world import World

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    # Each test's rows roll back with its transaction, which no signal reports: start and end clean.
    calendar.invalidate()
    yield
    calendar.invalidate()


def drop_year(year: int) -> None:
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarYear.objects.filter(year=year).delete()


# --- the seeded schedule (migration 0003) ---------------------------------------------------------------


def test_national_day_2026_is_off_for_the_whole_golden_week() -> None:
    week = [dt.date(2026, 10, day) for day in range(1, 8)]
    assert [is_working_day(day) for day in week] == [False] * 7
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 1)).name == "国庆节"


def test_2026_working_weekends_are_the_packages() -> None:
    expected = {day for day in package.workdays if day.year == 2026 and day.weekday() >= 5}
    assert dt.date(2026, 10, 10) in expected  # the Saturday after National Day
    assert all(is_working_day(day) for day in expected)
    stored = set(CalendarDay.objects.filter(date__year=2026, is_workday=True).values_list("date", flat=True))
    assert stored == expected


def test_spring_festival_2025_sunday_was_a_working_day() -> None:
    assert dt.date(2025, 1, 26).weekday() == 6
    assert is_working_day(dt.date(2025, 1, 26))
    assert CalendarDay.objects.get(date=dt.date(2025, 1, 26)).name == "春节补班"


def test_only_exceptions_are_stored() -> None:
    # 2026-10-03 is a Saturday inside the holiday: off anyway, so no row.
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 3)).exists()
    assert not CalendarDay.objects.filter(is_workday=False, date__week_day__in=[1, 7]).exists()
    assert set(CalendarYear.objects.values_list("year", flat=True)) >= set(range(2004, 2027))
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.PACKAGE


def test_the_seed_matches_the_package() -> None:
    expected = {
        (row.date, row.is_workday, row.name) for rows in calendar.package_schedule().values() for row in rows
    }
    assert len(expected) > 500
    assert set(CalendarDay.objects.values_list("date", "is_workday", "name")) == expected


# --- deadlines with a frozen clock ----------------------------------------------------------------------


def test_one_working_day_from_friday_afternoon_is_monday() -> None:
    with time_machine.travel(at(2026, 11, 27, 16), tick=False):
        assert add_working_days(timezone.now(), 1) == at(2026, 11, 30, 16)


def test_a_request_on_saturday_counts_from_monday_morning() -> None:
    with time_machine.travel(at(2026, 11, 28, 11), tick=False):
        now = timezone.now()
        assert next_working_start(now) == at(2026, 11, 30, 9)
        assert add_working_days(now, 0) == at(2026, 11, 30, 9)
        assert add_working_days(now, 1) == at(2026, 12, 1, 9)


def test_national_day_pushes_a_deadline_past_the_golden_week() -> None:
    with time_machine.travel(at(2026, 9, 30, 15), tick=False):
        assert add_working_days(timezone.now(), 1) == at(2026, 10, 8, 15)
        assert add_working_days(timezone.now(), 5) == at(2026, 10, 13, 15)  # Sat 10-10 is worked


def test_a_tiaoxiu_saturday_counts_as_a_working_day() -> None:
    with time_machine.travel(at(2026, 10, 9, 10), tick=False):  # Friday
        assert add_working_days(timezone.now(), 1) == at(2026, 10, 10, 10)  # Saturday, 调休
        assert next_working_start(at(2026, 10, 10, 8)) == at(2026, 10, 10, 9)


def test_inside_working_hours_the_start_is_now() -> None:
    assert next_working_start(at(2026, 11, 26, 13, 5)) == at(2026, 11, 26, 13, 5)
    assert next_working_start(at(2026, 11, 26, 17, 30)) == at(2026, 11, 27, 9)  # closing time is outside


def test_results_are_local_whatever_the_input_zone() -> None:
    utc = at(2026, 11, 27, 16).astimezone(dt.UTC)
    result = add_working_days(utc, 1)
    assert result == at(2026, 11, 30, 16)
    assert result.utcoffset() == dt.timedelta(hours=8)


# --- working hours --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 23, 9), 8.5, at(2026, 11, 23, 17, 30)),  # a full day ends at closing time
        (at(2026, 11, 23, 9), 9, at(2026, 11, 24, 9, 30)),  # no lunch break: 8.5 h a day
        (at(2026, 11, 26, 16, 30), 2, at(2026, 11, 27, 10)),  # Thursday evening into Friday
        (at(2026, 11, 27, 16), 3, at(2026, 11, 30, 10, 30)),  # across a weekend
        (at(2026, 11, 27, 20), 1, at(2026, 11, 30, 10)),  # starts outside hours
        (at(2026, 9, 30, 17), 1, at(2026, 10, 8, 9, 30)),  # across National Day
        (at(2026, 10, 9, 17), 1, at(2026, 10, 10, 9, 30)),  # into a 调休 Saturday
        (at(2026, 11, 23, 7), 0, at(2026, 11, 23, 9)),
        (at(2026, 11, 23, 9), 0.25, at(2026, 11, 23, 9, 15)),
    ],
)
def test_add_working_hours(start: dt.datetime, hours: float, expected: dt.datetime) -> None:
    assert add_working_hours(start, hours) == expected


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (at(2026, 9, 28, 10), 40),
        (at(2026, 12, 31, 12), 3),
        (at(2026, 2, 13, 11), 17),
        (at(2026, 5, 8, 17), 2),
    ],
)
def test_working_seconds_between_undoes_add_working_hours(start: dt.datetime, hours: float) -> None:
    end = add_working_hours(start, hours)
    assert working_seconds_between(start, end) == hours * HOUR


@override_settings(SHEGONG_WORKDAY_START="08:30", SHEGONG_WORKDAY_END="12:00")
def test_working_hours_come_from_settings() -> None:
    assert add_working_hours(at(2026, 11, 23, 9), 4) == at(2026, 11, 24, 9, 30)
    assert next_working_start(at(2026, 11, 23, 13)) == at(2026, 11, 24, 8, 30)


def test_working_seconds_between_is_antisymmetric() -> None:
    friday, monday = at(2026, 11, 27, 16), at(2026, 11, 30, 10)
    assert working_seconds_between(friday, monday) == int(2.5 * HOUR)
    assert working_seconds_between(monday, friday) == -int(2.5 * HOUR)
    assert working_seconds_between(friday, friday) == 0


def test_working_seconds_between_two_night_instants_is_zero() -> None:
    assert working_seconds_between(at(2026, 11, 23, 18), at(2026, 11, 24, 8, 59)) == 0
    assert working_seconds_between(at(2026, 10, 1, 10), at(2026, 10, 7, 16)) == 0  # all holiday
    assert working_seconds_between(at(2026, 10, 9, 17), at(2026, 10, 11, 17)) == int(
        9 * HOUR
    )  # Fri 0.5 + Sat


def test_naive_datetimes_are_refused() -> None:
    naive = dt.datetime(2026, 11, 23, 10)  # noqa: DTZ001  (the point of the test)
    with pytest.raises(ValueError, match="naive"):
        add_working_days(naive, 1)
    with pytest.raises(ValueError, match="naive"):
        add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="naive"):
        working_seconds_between(naive, at(2026, 11, 24))
    with pytest.raises(ValueError, match="naive"):
        next_working_start(naive)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(at(2026, 11, 23), -1)
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(at(2026, 11, 23), -0.5)


# --- cache ----------------------------------------------------------------------------------------------


def test_a_five_day_deadline_costs_a_handful_of_queries_then_none(
    django_assert_max_num_queries: DjangoAssertNumQueries, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_max_num_queries(4):  # fingerprint (2) + one per year (2)
        first = add_working_days(at(2026, 12, 28, 10), 5)  # crosses into 2027
    with django_assert_num_queries(0):
        again = add_working_days(at(2026, 12, 28, 10), 5)
        add_working_hours(at(2026, 9, 30, 10), 40)
    # 2027 is not loaded, so 1 January counts as a working day (weekends only).
    assert first == again == at(2027, 1, 4, 10)


def test_edits_by_another_process_show_after_the_recheck_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    day = dt.date(2026, 10, 1)
    assert not is_working_day(day)
    # QuerySet.update sends no signal: this is what an edit made in another process looks like here.
    CalendarDay.objects.filter(date=day).update(is_workday=True)
    assert not is_working_day(day)  # still cached
    monkeypatch.setattr(calendar, "RECHECK_SECONDS", 0)
    assert is_working_day(day)


# --- no schedule for a year -----------------------------------------------------------------------------


def test_a_year_without_schedule_falls_back_to_weekends() -> None:
    assert not is_working_day(dt.date(2026, 10, 1))
    drop_year(2026)  # through the ORM: this process notices at once
    assert is_working_day(dt.date(2026, 10, 1))  # a Thursday
    assert not is_working_day(dt.date(2026, 10, 10))  # a Saturday
    assert add_working_days(at(2026, 9, 30, 15), 1) == at(2026, 10, 1, 15)


def test_missing_years_warning() -> None:
    with translation.override("en"):
        assert missing_years_warning(dt.date(2026, 11, 30)) is None
        december = missing_years_warning(dt.date(2026, 12, 1))  # deadlines now reach into 2027
        assert december is not None
        assert "2027" in december
        assert "weekends only" in december
        drop_year(2026)
        both = missing_years_warning(dt.date(2026, 12, 1))
        assert both is not None
        assert "2026, 2027" in both
        assert "2026" in (missing_years_warning(dt.date(2026, 3, 1)) or "")


def test_the_warning_uses_today_by_default() -> None:
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        assert missing_years_warning() is not None
    with time_machine.travel(at(2026, 6, 2, 10), tick=False):
        assert missing_years_warning() is None


# --- services -------------------------------------------------------------------------------------------


def test_set_day_makes_an_exception_and_audits_it(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    saturday = dt.date(2027, 2, 6)
    assert not is_working_day(saturday)
    calendar.set_day(actor=admin, date=saturday, is_workday=True, name="春节补班")
    assert is_working_day(saturday)
    event = AuditEvent.objects.get(action=CoreAction.CALENDAR_CHANGED)
    assert event.actor == admin
    assert event.changes["after"] == {"is_workday": True, "name": "春节补班"}
    assert event.changes["before"] is None


def test_set_day_back_to_the_normal_week_removes_the_row(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    holiday = dt.date(2026, 10, 1)
    assert calendar.set_day(actor=admin, date=holiday, is_workday=True) is None
    assert not CalendarDay.objects.filter(date=holiday).exists()
    assert is_working_day(holiday)
    event = AuditEvent.objects.get(action=CoreAction.CALENDAR_CHANGED)
    assert event.changes["before"] == {"is_workday": False, "name": "国庆节"}


def test_set_day_rejects_a_too_long_name(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    with pytest.raises(ValidationError):
        calendar.set_day(actor=admin, date=dt.date(2027, 2, 6), is_workday=True, name="长" * 41)
    assert not CalendarDay.objects.filter(date=dt.date(2027, 2, 6)).exists()
    assert not AuditEvent.objects.exists()


def test_import_year_replaces_the_year_and_marks_it_loaded(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    calendar.set_day(actor=admin, date=dt.date(2027, 3, 1), is_workday=False, name="typo")
    rows = [
        ScheduleRow(dt.date(2027, 1, 1), False, "元旦"),
        ScheduleRow(dt.date(2027, 2, 20), True, "春节补班"),
        ScheduleRow(dt.date(2027, 2, 21), False, "春节"),  # a Sunday: off anyway, not stored
    ]
    summary = calendar.import_year(actor=admin, year=2027, rows=rows)
    assert (summary.days_off, summary.working_weekends, summary.skipped, summary.replaced) == (1, 1, 1, 1)
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == {
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 20),
    }
    assert is_working_day(dt.date(2027, 3, 1))
    assert CalendarYear.objects.get(year=2027).source == CalendarYear.Source.IMPORT
    assert AuditEvent.objects.filter(action=CoreAction.CALENDAR_IMPORTED).count() == 1


def test_import_year_with_a_bad_row_changes_nothing(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    before = list(CalendarDay.objects.filter(date__year=2026).values_list("date", "is_workday"))
    rows = [ScheduleRow(dt.date(2026, 1, 1), True, ""), ScheduleRow(dt.date(2025, 1, 1), False, "元旦")]
    with translation.override("en"), pytest.raises(ValidationError, match="not in 2026"):
        calendar.import_year(actor=admin, year=2026, rows=rows)
    assert list(CalendarDay.objects.filter(date__year=2026).values_list("date", "is_workday")) == before


def test_mark_year_unloads_and_reloads(world: World) -> None:
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    calendar.mark_year(actor=admin, year=2026, loaded=False)
    assert 2026 not in calendar.loaded_years()
    assert not is_working_day(dt.date(2026, 10, 1))  # its rows still count
    calendar.mark_year(actor=admin, year=2027, loaded=True, note="entered by hand")
    assert CalendarYear.objects.get(year=2027).source == CalendarYear.Source.MANUAL
    assert AuditEvent.objects.filter(action=CoreAction.CALENDAR_CHANGED).count() == 2


# --- the seed_calendar command --------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_calendar_imports_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "date,is_workday,name\n"
        "2027-01-01,0,元旦\n"
        "2027-02-20,true,春节补班\n"
        "\n"
        "2026-10-01,1,\n",  # a year present in the file replaces that year: 2026 keeps only this row
    )
    with translation.override("en"):
        call_command("seed_calendar", str(path))
    assert is_working_day(dt.date(2027, 2, 20))
    assert not is_working_day(dt.date(2027, 1, 1))
    assert CalendarYear.objects.get(year=2027).source == CalendarYear.Source.IMPORT
    assert not CalendarDay.objects.filter(date__year=2026).exists()  # 10-01 on a Thursday is no exception
    assert is_working_day(dt.date(2026, 10, 2))
    assert "2027: 1 weekday holidays, 1 working weekends" in capsys.readouterr().out


def test_seed_calendar_reports_bad_rows_by_line_and_imports_nothing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,is_workday,name\n"
        "2027-01-01,0,元旦\n"
        "2027-13-01,0,x\n"
        "2027-02-20,maybe,春节补班\n"
        "2027-01-01,0,again\n"
        "2027-05-01\n",
    )
    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("seed_calendar", str(path))
    message = str(excinfo.value)
    assert "Nothing was imported" in message
    assert "Line 3: “2027-13-01” is not a date" in message
    assert "Line 4: is_workday must be 1 or 0" in message
    assert "Line 5: 2027-01-01 is already on line 2" in message
    assert "Line 6: expected 3 columns" in message
    assert "Line 2" not in message.replace("on line 2", "")
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_seed_calendar_needs_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "2027-01-01,0,元旦\n")
    with translation.override("en"), pytest.raises(CommandError, match="Line 1: the header"):
        call_command("seed_calendar", str(path))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_seed_calendar_from_package_restores_a_year() -> None:
    drop_year(2026)
    call_command("seed_calendar", "--from-package")
    assert not is_working_day(dt.date(2026, 10, 1))
    assert is_working_day(dt.date(2026, 10, 10))
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.PACKAGE


# --- admin ----------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Client) -> Client:
    superuser = User.objects.create_superuser(username="root", password="Correct-Horse-42")
    client.force_login(superuser)
    return client


def test_admin_edits_go_through_the_audited_service(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "2027-02-06", "is_workday": "on", "name": "春节补班"}
    )
    assert response.status_code == 302
    assert is_working_day(dt.date(2027, 2, 6))
    assert AuditEvent.objects.filter(action=CoreAction.CALENDAR_CHANGED, actor__username="root").exists()


def test_admin_list_names_the_weekday_in_the_site_language(admin_client: Client) -> None:
    html = admin_client.get("/admin/core/calendarday/", {"date__year": "2026"}).content.decode()
    assert "星期四" in html  # 2026-10-01, National Day, a Thursday
    assert "Thu" not in html


def test_admin_refuses_a_row_equal_to_the_normal_week(admin_client: Client) -> None:
    response = admin_client.post("/admin/core/calendarday/add/", {"date": "2027-02-03", "is_workday": "on"})
    assert response.status_code == 200
    assert "本来就是正常工作日" in response.content.decode()
    assert not CalendarDay.objects.filter(date=dt.date(2027, 2, 3)).exists()


def test_admin_delete_restores_the_normal_week_with_an_audit_row(admin_client: Client) -> None:
    response = admin_client.post("/admin/core/calendarday/2026-10-01/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert is_working_day(dt.date(2026, 10, 1))
    assert AuditEvent.objects.filter(action=CoreAction.CALENDAR_CHANGED).count() == 1


def test_the_audit_log_is_not_in_the_admin(admin_client: Client) -> None:
    # 三权分立: the admin site belongs to platform administrators, who may not read the audit log;
    # auditors read it on the desk (/desk/audit/), scoped and with audited exports.
    calendar.set_day(actor=None, date=dt.date(2027, 2, 6), is_workday=True)
    event = AuditEvent.objects.get()
    assert admin_client.get("/admin/core/auditevent/").status_code == 404
    assert admin_client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 404
