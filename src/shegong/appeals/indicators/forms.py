"""The period picker of the indicator pages and the exclusion forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.indicators.compute import Grouping, Period
from shegong.appeals.indicators.services import REASON_MAX

# A longer custom period is refused: nobody reads rates over more, and it bounds the work of one page.
MAX_PERIOD_DAYS = 3 * 366


class PeriodChoice(models.TextChoices):
    THIS_MONTH = "this_month", _("This month")
    LAST_MONTH = "last_month", _("Last month")
    THIS_QUARTER = "this_quarter", _("This quarter")
    CUSTOM = "custom", _("Custom dates")


def preset_period(choice: str, today: dt.date) -> Period:
    """The dates of a preset period around `today` (local)."""
    first_of_month = today.replace(day=1)
    if choice == PeriodChoice.LAST_MONTH:
        end = first_of_month - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    if choice == PeriodChoice.THIS_QUARTER:
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    return Period(first_of_month, today)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-control"}, **kwargs)


class IndicatorFilterForm(forms.Form):
    """GET parameters of the indicator page and its export. Every field is optional: empty means this
    month, grouped the user's default way, over their whole jurisdiction."""

    period = forms.ChoiceField(
        label=_("Period"),
        choices=PeriodChoice.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    group = forms.ChoiceField(
        label=_("Group"),
        choices=Grouping.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    division = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput())

    def __init__(self, *args: Any, default_group: str = Grouping.DIVISION, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_group = default_group

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if data.get("period") == PeriodChoice.CUSTOM:
            start, end = data.get("date_from"), data.get("date_to")
            if "date_from" in self.errors or "date_to" in self.errors:
                return data
            if start is None or end is None:
                raise forms.ValidationError(gettext("Enter both dates of a custom period."))
            if start > end:
                raise forms.ValidationError(gettext("The start date must not be after the end date."))
            if (end - start).days >= MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    gettext("A period can be at most {n} days long.").format(n=MAX_PERIOD_DAYS)
                )
        return data

    def get_period(self) -> Period:
        choice = self.cleaned_data.get("period") or PeriodChoice.THIS_MONTH
        if choice == PeriodChoice.CUSTOM:
            return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])
        return preset_period(choice, timezone.localdate())

    def get_group(self) -> str:
        return str(self.cleaned_data.get("group") or self.default_group)


class ExclusionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this appeal is unreasonable"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text=_("Kept in the audit log; the appeal is then left out of every rate."),
    )
    confirm = forms.BooleanField(
        label=_("I have reviewed this appeal and judge it unreasonable."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the exclusion is lifted"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
