"""Adding and editing a station: the form (division picker, operating unit, coordinates in GCJ-02 or
converted from a phone's WGS-84, amenities, masked contact phone, status) and the weekly opening-hours
editor. The services validate again; their messages come back on the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.stations import services
from shegong.stations.choices import StationsPerm
from shegong.stations.desk.access import managed_station_or_404, perm_required
from shegong.stations.forms import (
    HoursEditor,
    StationForm,
    attach_service_errors,
    division_options,
    resolve_division,
    unit_choices,
)
from shegong.stations.models import Station

DIVISION_OPTIONS_ID = "station-division-options"


def _render(
    request: HttpRequest, form: StationForm, editor: HoursEditor, station: Station | None
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    # The datalist suggests divisions; htmx refreshes the unit list when the division changes (without
    # JavaScript the list offers the units of the station's current division, and the service checks).
    form.fields["division"].widget.attrs.update(
        {
            "list": DIVISION_OPTIONS_ID,
            "autocomplete": "off",
            "hx-get": reverse("stations:desk_unit_options"),
            "hx-trigger": "change",
            "hx-target": f"#{form['operator_unit'].auto_id}",
            "hx-swap": "innerHTML",
            "hx-include": f"#{form['operator_unit'].auto_id}",
        }
    )
    return render(
        request,
        "stations/desk/form.html",
        {
            "form": form,
            "editor": editor,
            "station": station,
            "division_options": division_options(request.user),
            "division_options_id": DIVISION_OPTIONS_ID,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.MANAGE)
def station_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial: dict[str, Any] = {}
        return _render(
            request, StationForm(user=request.user, initial=initial), HoursEditor(initial={}), None
        )
    form = StationForm(request.POST, user=request.user)
    editor = HoursEditor(request.POST)
    hours_ok = editor.is_valid()
    if form.is_valid() and hours_ok:
        try:
            station = services.station_create(
                actor=request.user,
                division=form.cleaned_data["division"],
                opening_hours=editor.value,
                **form.service_fields(),
            )
        except ValidationError as exc:
            attach_service_errors(form, exc, elsewhere=editor.errors)
        else:
            messages.success(request, _("Station added: {name}.").format(name=station.name))
            return redirect("stations:desk_station", station_id=station.pk)
    return _render(request, form, editor, None)


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def station_edit(request: HttpRequest, station_id: int) -> HttpResponse:
    station = managed_station_or_404(request, station_id)
    if request.method != "POST":
        form = StationForm(user=request.user, station=station)
        return _render(request, form, HoursEditor(initial=station.opening_hours), station)
    form = StationForm(request.POST, user=request.user, station=station)
    editor = HoursEditor(request.POST)
    hours_ok = editor.is_valid()
    if form.is_valid() and hours_ok:
        try:
            services.station_update(
                actor=request.user,
                station=station,
                division=form.cleaned_data["division"],
                opening_hours=editor.value,
                **form.service_fields(),
            )
        except ValidationError as exc:
            attach_service_errors(form, exc, elsewhere=editor.errors)
        else:
            messages.success(request, _("Station saved."))
            return redirect("stations:desk_station", station_id=station.pk)
    return _render(request, form, editor, station)


@require_GET
@perm_required(StationsPerm.MANAGE)
def unit_options(request: HttpRequest) -> HttpResponse:
    """htmx: the operating-unit <option>s for the division typed in the picker (?division=…)."""
    text = request.GET.get("division", "").strip()[:100]
    division = None
    # PostgreSQL refuses a NUL in a query parameter; no division's code or name has one (forms refuse it too).
    if text and "\x00" not in text:
        try:
            division = resolve_division(user=request.user, text=text)
        except ValidationError:
            division = None
    return render(
        request,
        "stations/desk/_unit_options.html",
        {
            "options": unit_choices(user=request.user, division=division),
            "selected": request.GET.get("operator_unit", ""),
        },
    )
