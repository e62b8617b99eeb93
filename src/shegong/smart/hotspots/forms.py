"""Forms of the hotspot pages. They only collect and check input; writes go through services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.divisions.models import Unit
from shegong.smart.hotspots.choices import AlertKind, AlertStatus, TaskStatus
from shegong.smart.hotspots.models import NOTE_MAX, PROBLEMS_MAX

# 每月一题: a month is the usual span of one theme.
DEFAULT_DEADLINE_DAYS = 30


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


def _division_field() -> forms.CharField:
    return forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "210105"}),
    )


class AlertFilterForm(forms.Form):
    division = _division_field()
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *AlertStatus.choices]
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *AlertKind.choices])
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("", _("Newest first")), ("count", _("Most appeals first"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def values(self) -> dict[str, str]:
        """The chosen filters; an unknown value counts as none (a hand-edited URL is not an error page)."""
        names = ("division", "status", "kind", "sort")
        if not self.is_valid():
            return dict.fromkeys(names, "")
        return {name: self.cleaned_data.get(name) or "" for name in names}


class TaskFilterForm(forms.Form):
    division = _division_field()
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *TaskStatus.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def values(self) -> dict[str, str]:
        names = ("division", "status")
        if not self.is_valid():
            return dict.fromkeys(names, "")
        return {name: self.cleaned_data.get(name) or "" for name in names}


class DismissForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this needs no governance task (optional)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name}（{obj.division.name}）"


class TaskForm(forms.Form):
    theme = forms.CharField(label=_("Theme"), max_length=120)
    problems = forms.CharField(
        label=_("Problems"),
        max_length=PROBLEMS_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the appeals show and what must change."),
    )
    lead_unit = UnitChoiceField(label=_("Lead unit"), queryset=Unit.all_objects.none())
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["deadline"].initial = timezone.localdate() + dt.timedelta(days=DEFAULT_DEADLINE_DAYS)
        _style(self)

    def clean_deadline(self) -> dt.date:
        deadline: dt.date = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise ValidationError(_("The deadline cannot be in the past."))
        return deadline

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Progress note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class DoneForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was achieved (optional)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
