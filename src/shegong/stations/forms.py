"""Forms of the stations desk: the list's filters, the station form with its division picker, operating
unit and coordinates, the weekly opening-hours editor, dated exceptions, photos and the usage page's range.

Forms only check and convert input; writes go through `services` and `photos`, whose ValidationErrors are
put back on the form (`attach_service_errors`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.core.pii import PIIKind, normalise
from shegong.core.scoping import division_q, minimal_prefixes, prefixes_for
from shegong.core.unset import UNSET
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit
from shegong.divisions.selectors import pad_code
from shegong.stations import geo, hours
from shegong.stations.choices import Amenity, Kind, StationsPerm, Status
from shegong.stations.models import StationPhoto

MAX_DIVISION_OPTIONS = 300  # the picker's suggestions; any code in scope can still be typed
MAX_UNIT_OPTIONS = 300
MAX_USAGE_DAYS = 366


def style(form: forms.Form, *, small: bool = False) -> None:
    """Bootstrap classes on every widget (the appeals desk's look)."""
    size = " form-control-sm" if small else ""
    for f in form.fields.values():
        widget = f.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select" + (" form-select-sm" if small else ""))
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control" + size)


def attach_service_errors(
    form: forms.Form, exc: ValidationError, *, elsewhere: list[str] | None = None
) -> None:
    """Put a service's ValidationError on the form: a field's messages on that field, the rest on top.
    Messages about `opening_hours` go to `elsewhere` (the hours editor) when given."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        if name == "opening_hours" and elsewhere is not None:
            elsewhere.extend(errors)
        elif name in form.fields and name != NON_FIELD_ERRORS:
            form.add_error(name, errors)
        else:
            form.add_error(None, errors)


# --- the list's filters ---------------------------------------------------------------------------------
SORTS = [
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
    ("-updated", _("Recently changed first")),
    ("updated", _("Least recently changed first")),
    ("-visits", _("Most visits in 30 days first")),
    ("visits", _("Fewest visits in 30 days first")),
]
_SORT_ORDER = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "visits": ("recent_visits", "name", "pk"),
    "-visits": ("-recent_visits", "name", "pk"),
}


def sort_order(sort: str) -> tuple[str, ...]:
    return _SORT_ORDER.get(sort, _SORT_ORDER["name"])


class StationFilterForm(forms.Form):
    """GET parameters of the station list. Invalid values are shown on the form and left out of the filter."""

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
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, small=True)

    def clean_division(self) -> str:
        value: str = (self.cleaned_data.get("division") or "").strip()
        if value and not pad_code(value):
            raise ValidationError(_("Type a division code or its prefix, e.g. 210105."))
        return value

    def valid_data(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "sort")


# --- division and unit pickers ---------------------------------------------------------------------------
def managed_divisions(user: Any) -> QuerySet[Division]:
    """Divisions where `user` may add and edit stations."""
    return Division.objects.filter(division_q("code", prefixes_for(user, StationsPerm.MANAGE))).order_by(
        "code"
    )


def resolve_division(*, user: Any, text: str) -> Division:
    """The managed division `text` names: a code or prefix, or a name matching exactly one division. The
    same message for unknown and out-of-scope codes, so the picker reveals nothing outside the scope."""
    text = text.strip()
    in_scope = managed_divisions(user)
    if text.isascii() and text.isdigit():
        code = pad_code(text)
        division = in_scope.filter(code=code).first() if code else None
        if division is None:
            raise ValidationError(gettext("There is no division with this code where you manage stations."))
        return division
    matches = list(in_scope.filter(name=text)[:6]) or list(in_scope.filter(name__icontains=text)[:6])
    if not matches:
        raise ValidationError(
            gettext("No division named “{name}” where you manage stations.").format(name=text)
        )
    if len(matches) > 1:
        listed = "、".join(f"{d.name}（{d.code}）" for d in matches[:5])
        raise ValidationError(
            gettext("Several divisions match “{name}”: {listed}. Type the code instead.").format(
                name=text, listed=listed
            )
        )
    return matches[0]


def division_options(user: Any) -> list[tuple[str, str]]:
    """(code, "name（code）") suggestions for the picker's datalist."""
    rows = managed_divisions(user).values_list("code", "name")[:MAX_DIVISION_OPTIONS]
    return [(code, f"{name}（{code}）") for code, name in rows]


def _line_q(prefixes: list[str]) -> Q:
    """Units on the line of these subtrees: in them, or in a division above them (the street office, the
    district union) — where `services._check_unit` lets an operator sit."""
    if "" in prefixes:
        return Q()
    above: set[str] = set()
    for prefix in prefixes:
        for length in codes.PREFIX_LENGTHS:
            if length < len(prefix):
                above.add(prefix[:length].ljust(12, "0"))
    return Q(division_id__in=sorted(above)) | division_q("division_id", prefixes)


def line_units(*, user: Any, division: Division | None) -> QuerySet[Unit]:
    """Active units that may operate a station in `division` (or, before one is chosen, anywhere the user
    manages). Read with the plain manager on purpose: a district union above a street social worker's
    grant is a legitimate operator the worker cannot otherwise see."""
    if division is not None:
        prefixes = [division.prefix]
    else:
        prefixes = minimal_prefixes(prefixes_for(user, StationsPerm.MANAGE))
    return (
        Unit.all_objects.filter(is_active=True)
        .filter(_line_q(prefixes))
        .select_related("division")
        .order_by("division_id", "name")
    )


def unit_choices(*, user: Any, division: Division | None, keep: Unit | None = None) -> list[tuple[str, str]]:
    units = list(line_units(user=user, division=division)[:MAX_UNIT_OPTIONS])
    if keep is not None and keep not in units:
        units.insert(0, keep)
    return [("", gettext("No operating unit"))] + [
        (str(u.pk), f"{u.name}（{u.division.name}）") for u in units
    ]


# --- coordinates -----------------------------------------------------------------------------------------
class Coords:
    GCJ02 = "gcj02"
    WGS84 = "wgs84"
    CHOICES = [
        (GCJ02, _("Map coordinates (GCJ-02, as AMap or Tencent Maps show them)")),
        (WGS84, _("From a phone's GPS (WGS-84): convert to map coordinates")),
    ]


def clean_point(lat: str, lng: str, coords: str) -> tuple[float, float]:
    """Typed coordinates as GCJ-02, rounded to 6 decimals (~0.1 m). NaN, infinity, text or a point outside
    China raise the geo module's message, which names the point."""
    flat, flng = geo.validate_point(lat.strip(), lng.strip())
    if coords == Coords.WGS84:
        flat, flng = geo.wgs84_to_gcj02(flat, flng)
        flat, flng = geo.validate_point(flat, flng)
    return round(flat, 6), round(flng, 6)


# --- the station form ------------------------------------------------------------------------------------
class StationForm(forms.Form):
    """Add or edit a station (everything but the opening hours, which `HoursEditor` reads)."""

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    division = forms.CharField(
        label=_("Division"),
        max_length=100,
        help_text=_(
            "The community or street the station belongs to: a division code or name where you manage "
            "stations."
        ),
    )
    operator_unit = forms.ChoiceField(label=_("Operating unit"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    lat = forms.CharField(label=_("Latitude"), max_length=32)
    lng = forms.CharField(label=_("Longitude"), max_length=32)
    coords = forms.ChoiceField(
        label=_("Coordinates are"), choices=Coords.CHOICES, initial=Coords.GCJ02, widget=forms.RadioSelect
    )
    amenities = forms.MultipleChoiceField(
        label=_("Amenities"), required=False, choices=Amenity.choices, widget=forms.CheckboxSelectMultiple
    )
    contact_phone = forms.CharField(
        label=_("Contact phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    remove_phone = forms.BooleanField(label=_("Remove the contact phone"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, initial=Status.OPEN)

    def __init__(self, *args: Any, user: Any, station: Any = None, **kwargs: Any) -> None:
        if station is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": station.name,
                "kind": station.kind,
                "division": station.division_id,
                "operator_unit": str(station.operator_unit_id or ""),
                "address": station.address,
                "lat": f"{station.lat:.6f}",
                "lng": f"{station.lng:.6f}",
                "coords": Coords.GCJ02,
                "amenities": list(station.amenities),
                "status": station.status,
            }
        super().__init__(*args, **kwargs)
        self.user = user
        self.station = station
        self.division_obj: Division | None = None
        chosen = self._division_for_units()
        keep = station.operator_unit if station is not None and station.operator_unit_id else None
        self.fields["operator_unit"].choices = unit_choices(user=user, division=chosen, keep=keep)  # type: ignore[attr-defined]
        phone = self.fields["contact_phone"]
        if station is not None and station.contact_phone:
            phone.help_text = gettext(
                "Now {masked}. Leave empty to keep it; type a new number to replace it."
            ).format(masked=station.masked_phone)
        else:
            phone.help_text = gettext("An 11-digit mobile number riders may call (shown to them masked).")
            del self.fields["remove_phone"]
        style(self)

    def _division_for_units(self) -> Division | None:
        text = str(self.data.get("division") or "") if self.is_bound else ""
        if text:
            try:
                return resolve_division(user=self.user, text=text)
            except ValidationError:
                return None
        if self.station is not None:
            division: Division = self.station.division
            return division
        return None

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_division(self) -> Division:
        division = resolve_division(user=self.user, text=self.cleaned_data["division"])
        self.division_obj = division
        return division

    def clean_operator_unit(self) -> Unit | None:
        value = self.cleaned_data.get("operator_unit")
        if not value:
            return None
        unit = Unit.all_objects.filter(pk=value).select_related("division").first()
        if unit is None:
            raise ValidationError(_("Choose a unit from the list."))
        return unit

    def clean_contact_phone(self) -> str:
        value = str(self.cleaned_data.get("contact_phone") or "").strip()
        return normalise(PIIKind.PHONE, value) if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lng = data.get("lat"), data.get("lng")
        if lat is not None and lng is not None:
            try:
                data["lat"], data["lng"] = clean_point(lat, lng, data.get("coords") or Coords.GCJ02)
            except ValidationError as exc:
                self.add_error("lat", exc.messages)
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as station_create/station_update take them (division apart)."""
        d = self.cleaned_data
        phone: Any = d.get("contact_phone") or ""
        if self.station is not None and not phone:
            phone = "" if d.get("remove_phone") else UNSET
        return {
            "name": d["name"],
            "kind": d["kind"],
            "operator_unit": d.get("operator_unit"),
            "address": d["address"].strip(),
            "lat": d["lat"],
            "lng": d["lng"],
            "amenities": [a for a in Amenity.values if a in (d.get("amenities") or [])],
            "contact_phone": phone,
            "status": d["status"],
        }


# --- opening hours ---------------------------------------------------------------------------------------
MODE_HOURS = "hours"
MODE_ALL_DAY = "24h"
MODE_CLOSED = "closed"
MODES = [
    (MODE_HOURS, _("Hours")),
    (MODE_ALL_DAY, _("Open all day")),
    (MODE_CLOSED, _("Closed")),
]
MIN_SLOTS = 3
MAX_SLOTS = 8
_LOOSE_TIME = re.compile(r"^\s*(\d{1,2})\s*[:：]\s*(\d{2})\s*$")


def tidy_time(value: str) -> str:
    """'8:00' or '08：00' (a Chinese input method's colon) as '08:00'; anything else unchanged."""
    match = _LOOSE_TIME.match(value or "")
    if not match:
        return (value or "").strip()
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@dataclass
class DayRow:
    key: str  # mon … sun
    label: str
    mode: str
    ranges: list[tuple[str, str]]
    errors: list[str] = field(default_factory=list)
    slot_list: list[tuple[int, str, str]] = field(default_factory=list)

    def slots(self, n: int) -> list[tuple[int, str, str]]:
        padded = self.ranges + [("", "")] * (n - len(self.ranges))
        return [(i, start, end) for i, (start, end) in enumerate(padded[:n])]


def _day_from_value(value: Any) -> tuple[str, list[tuple[str, str]]]:
    if value == hours.ALL_DAY:
        return MODE_ALL_DAY, []
    if not value:
        return MODE_CLOSED, []
    return MODE_HOURS, [(str(a), str(b)) for a, b in value]


class HoursEditor:
    """The weekly table as one row per weekday: a mode (hours / all day / closed) and time ranges in
    `hours-<day>-<i>-start|end` inputs. `value` is the table for the service; `errors` what is wrong,
    also per row, so the message stands next to the day."""

    prefix = "hours"

    def __init__(self, data: Any = None, *, initial: dict[str, Any] | None = None) -> None:
        self.is_bound = data is not None
        self.rows: list[DayRow] = []
        self.errors: list[str] = []
        self.value: dict[str, Any] = {}
        for index, key in enumerate(hours.WEEKDAYS):
            label = str(WEEKDAY_NAMES[index])
            if self.is_bound:
                mode = data.get(f"{self.prefix}-{key}-mode") or MODE_CLOSED
                ranges = []
                for i in range(MAX_SLOTS):
                    start = tidy_time(data.get(f"{self.prefix}-{key}-{i}-start", ""))
                    end = tidy_time(data.get(f"{self.prefix}-{key}-{i}-end", ""))
                    if start or end:
                        ranges.append((start, end))
            else:
                mode, ranges = _day_from_value((initial or {}).get(key))
            self.rows.append(DayRow(key=key, label=label, mode=mode, ranges=ranges))
        longest = max((len(r.ranges) for r in self.rows), default=0)
        self.slot_count = min(MAX_SLOTS, max(MIN_SLOTS, longest + 1))
        for row in self.rows:
            row.slot_list = row.slots(self.slot_count)

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        table: dict[str, Any] = {}
        for row in self.rows:
            if row.mode == MODE_ALL_DAY:
                table[row.key] = hours.ALL_DAY
                continue
            if row.mode != MODE_HOURS:
                continue
            if not row.ranges:
                row.errors.append(
                    gettext("Give at least one time range, or choose “Open all day” or “Closed”.")
                )
                continue
            pairs = [[start, end] for start, end in row.ranges]
            for start, end in row.ranges:
                if not start or not end:
                    row.errors.append(gettext("Each range needs an opening and a closing time."))
                    break
            else:
                try:
                    hours.parse_day(pairs, where=row.label)
                except ValidationError as exc:
                    row.errors.extend(exc.messages)
                else:
                    table[row.key] = pairs
        self.errors = [e for row in self.rows for e in row.errors]
        if not self.errors:
            try:
                hours.validate_opening_hours(table)
            except ValidationError as exc:
                self.errors.extend(exc.messages)
        self.value = table
        return not self.errors

    @property
    def modes(self) -> list[tuple[str, Any]]:
        return MODES


# --- dated exceptions ------------------------------------------------------------------------------------
class ExceptionForm(forms.Form):
    """A holiday or a special day: closed all day, open all day, or up to three ranges."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    mode = forms.ChoiceField(
        label=_("That day"), choices=MODES, initial=MODE_CLOSED, widget=forms.RadioSelect
    )
    start_0 = forms.CharField(label=_("Opens"), required=False, max_length=5)
    end_0 = forms.CharField(label=_("Closes"), required=False, max_length=5)
    start_1 = forms.CharField(label=_("Opens"), required=False, max_length=5)
    end_1 = forms.CharField(label=_("Closes"), required=False, max_length=5)
    start_2 = forms.CharField(label=_("Opens"), required=False, max_length=5)
    end_2 = forms.CharField(label=_("Closes"), required=False, max_length=5)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=120, help_text=_("E.g. Spring Festival, staff training.")
    )
    SLOTS = 3
    prefix = "exc"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(self.SLOTS):
            for part in ("start", "end"):
                self.fields[f"{part}_{i}"].widget.attrs.update(
                    {
                        "placeholder": "HH:MM",
                        "inputmode": "numeric",
                        "size": 5,
                        "class": "form-control form-control-sm sg-time",
                    }
                )
        style(self, small=True)

    def slots(self) -> list[tuple[Any, Any]]:
        return [(self[f"start_{i}"], self[f"end_{i}"]) for i in range(self.SLOTS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ranges = []
        for i in range(self.SLOTS):
            start, end = tidy_time(data.get(f"start_{i}") or ""), tidy_time(data.get(f"end_{i}") or "")
            if start or end:
                ranges.append([start, end])
        mode = data.get("mode")
        data["closed"] = mode == MODE_CLOSED
        if mode == MODE_ALL_DAY:
            data["opening_hours"] = hours.ALL_DAY
        elif mode == MODE_HOURS:
            if not ranges:
                self.add_error(None, gettext("Give the special hours, or mark the day as closed."))
            else:
                try:
                    hours.parse_day(ranges, where=str(data.get("date") or gettext("That day")))
                except ValidationError as exc:
                    self.add_error(None, exc.messages)
            data["opening_hours"] = ranges
        else:
            data["opening_hours"] = []
        return data


# --- photos ----------------------------------------------------------------------------------------------
class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        help_text=_("A JPG, PNG or WebP picture of the door, the sign or the facilities."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(
        label=_("Caption"), required=False, max_length=StationPhoto._meta.get_field("caption").max_length
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, small=True)


# --- status --------------------------------------------------------------------------------------------
class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)


# --- usage -----------------------------------------------------------------------------------------------
PERIODS = [("day", _("By day")), ("week", _("By week")), ("month", _("By month"))]


class UsageForm(forms.Form):
    """The usage page's range: local dates, default the last 30 days; at most a year."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(label=_("Group"), required=False, choices=PERIODS)
    division = forms.CharField(
        label=_("Division code"),
        required=False,
        max_length=12,
        help_text=_("A code or prefix: 210105 keeps that county and everything below it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self, small=True)

    def clean_division(self) -> str:
        value: str = (self.cleaned_data.get("division") or "").strip()
        if value and not pad_code(value):
            raise ValidationError(_("Type a division code or its prefix, e.g. 210105."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        elif start and end and (end - start).days >= MAX_USAGE_DAYS:
            self.add_error("date_to", gettext("Choose at most {n} days.").format(n=MAX_USAGE_DAYS))
        return data

    def range(self) -> tuple[dt.date, dt.date, str, str]:
        """(start, end, period, division) — the valid values, else the defaults (the last 30 days by day)."""
        self.is_valid()
        ok = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        today = timezone.localdate(timezone.now(), hours.LOCAL_TZ)
        end = ok.get("date_to") or today
        start = ok.get("date_from") or end - dt.timedelta(days=29)
        if "date_to" in self.errors or "date_from" in self.errors:
            start, end = today - dt.timedelta(days=29), today
        return start, end, ok.get("period") or "day", ok.get("division") or ""
