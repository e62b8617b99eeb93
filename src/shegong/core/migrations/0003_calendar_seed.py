"""Seed the holiday schedule (statutory holidays on weekdays, 调休 working weekends) from the installed
chinese_calendar package (1.11.0 knows 2004–2026). Later years are imported with `seed_calendar FILE.csv`.

Self-contained on purpose: a migration must not change behaviour when the app code changes later.
Reversing removes the package-seeded years only (imported or hand-entered years stay).
"""

import datetime

from django.db import migrations

# Holiday enum member → name shown to users (the package's own Chinese is short: 清明, 端午, 中秋).
NAMES = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "mid_autumn_festival": "中秋节",
    "national_day": "国庆节",
    "anti_fascist_70th_day": "抗战胜利70周年纪念日",
}


def _name(constants, value):
    member = constants.Holiday(value)
    return NAMES.get(member.name, member.chinese)[:40]


def forwards(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar import constants

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    db = schema_editor.connection.alias
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    # Years someone already loaded another way are left alone.
    taken = set(CalendarYear.objects.using(db).filter(year__in=years).values_list("year", flat=True))
    rows = {}
    for day, value in constants.holidays.items():
        if day.weekday() < 5 and day.year not in taken:
            rows[day] = CalendarDay(date=day, is_workday=False, name=_name(constants, value))
    for day, value in constants.workdays.items():
        if day.weekday() >= 5 and day.year not in taken:
            rows[day] = CalendarDay(date=day, is_workday=True, name=_name(constants, value) + "补班")
    CalendarDay.objects.using(db).bulk_create(sorted(rows.values(), key=lambda r: r.date))
    note = f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}"
    CalendarYear.objects.using(db).bulk_create(
        CalendarYear(year=year, source="package", note=note) for year in sorted(years - taken)
    )


def backwards(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    db = schema_editor.connection.alias
    years = list(CalendarYear.objects.using(db).filter(source="package").values_list("year", flat=True))
    for year in years:
        CalendarDay.objects.using(db).filter(
            date__range=(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        ).delete()
    CalendarYear.objects.using(db).filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(forwards, backwards)]
