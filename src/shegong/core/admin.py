"""Admin for the holiday calendar: every write goes through the audited calendar services. The audit log is
deliberately not here (see the end of this module)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.core import calendar
from shegong.core.models import CalendarDay, CalendarYear


class CalendarDayForm(forms.ModelForm[CalendarDay]):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, is_workday = data.get("date") or self.instance.date, data.get("is_workday")
        if day is not None and is_workday is not None and is_workday == (day.weekday() < 5):
            # The table holds exceptions only; the normal week needs no row.
            message = (
                gettext("{date} is a normal working day already; delete the exception instead.")
                if is_workday
                else gettext("{date} is a weekend day off already; delete the exception instead.")
            )
            raise forms.ValidationError(message.format(date=day.isoformat()))
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    form = CalendarDayForm
    list_display = ["date", "weekday", "is_workday", "name"]
    list_filter = ["is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "D")  # in the site language (星期一), unlike strftime

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> list[str]:
        # The date is the key: changing it would create a second row and leave the first one behind.
        return ["date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        calendar.set_day(actor=request.user, date=obj.date, is_workday=obj.is_workday, name=obj.name)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        # Back to the normal week, which removes the row (and records who did it).
        calendar.set_day(actor=request.user, date=obj.date, is_workday=obj.date.weekday() < 5)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            self.delete_model(request, day)


class CalendarYearForm(forms.ModelForm[CalendarYear]):
    class Meta:
        model = CalendarYear
        fields = ["year", "note"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    """Adding a year marks a schedule entered day by day as complete; deleting one makes it fall back to
    weekends (its day rows stay). Whole years are imported with `shegong seed calendar FILE.csv`."""

    form = CalendarYearForm
    list_display = ["year", "source", "loaded_at", "note"]
    list_filter = ["source"]

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> list[str]:
        return ["year", "source", "loaded_at"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        calendar.mark_year(actor=request.user, year=obj.year, loaded=True, note=obj.note)

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        calendar.mark_year(actor=request.user, year=obj.year, loaded=False)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in queryset:
            self.delete_model(request, year)


# The audit log is deliberately absent from the admin: the admin site belongs to platform administrators,
# and 三权分立 keeps them out of the audit log. Auditors read it on the desk (/desk/audit/), scoped.
