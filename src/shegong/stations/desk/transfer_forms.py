"""Forms of the Excel import/export pages. They collect input only; importing.py and exporting.py do the
work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shegong.stations.choices import Amenity, Kind, Status


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"),
        help_text=_("Only the first sheet is read; row 1 holds the column headers."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ConfirmForm(forms.Form):
    only_valid = forms.BooleanField(
        label=_("Import only the valid rows"),
        required=False,
        help_text=_("Without this, nothing is imported while any row is invalid."),
    )
    skip_existing = forms.BooleanField(
        label=_("Skip existing stations"),
        required=False,
        help_text=_("Rows naming a station that already exists in the division leave it as it is."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ExportForm(forms.Form):
    """The desk list's filters, plus full phone numbers for managers."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, help_text=_("Name or address."))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *Kind.choices])
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    amenity = forms.ChoiceField(
        label=_("Amenity"), required=False, choices=[("", _("Any amenity")), *Amenity.choices]
    )
    division = forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("A code or prefix: 210105 keeps that county and everything below it."),
    )
    phones = forms.BooleanField(
        label=_("Include full phone numbers"),
        required=False,
        help_text=_("Only for stations you manage; the export is recorded in the audit log."),
    )

    def __init__(self, *args: Any, can_include_phones: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_include_phones:
            del self.fields["phones"]
        _style(self)
