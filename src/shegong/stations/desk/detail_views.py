"""The station's desk page and its actions: every field, the weekly hours and dated exceptions, photos,
the check-in QR code, usage in the last 30 days and riders' feedback with the appeals it opened; the
masked contact phone with the audited "show in full" (core.reveal). Status changes, deletion, a new QR
code and removing an exception ask for confirmation on a page of their own (GET), then act (POST)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shegong.appeals.selectors import appeals_visible_to
from shegong.core.reveal import RevealPanel, reveal_panel
from shegong.divisions.selectors import division_ancestors
from shegong.stations import hours, selectors, services
from shegong.stations.choices import Amenity, StationsPerm, Status
from shegong.stations.desk import poster
from shegong.stations.desk.access import managed_station_or_404, may_manage, perm_required, station_or_404
from shegong.stations.forms import ExceptionForm, PhotoForm, StatusForm, attach_service_errors
from shegong.stations.models import Station, StationException

PHONE = "contact_phone"
FEEDBACK_PAGE_SIZE = 20
EXCEPTIONS_PAST_DAYS = 30  # older exceptions no longer matter to anyone; they stay in the database


def describe_day(value: Any) -> str:
    if value == hours.ALL_DAY:
        return _("Open all day")
    if not value:
        return _("Closed")
    return ", ".join(f"{start}–{end}" for start, end in value)


def weekly_rows(table: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(WEEKDAY_NAMES[i]), describe_day(table.get(key))) for i, key in enumerate(hours.WEEKDAYS)]


def visible_tracking_numbers(user: Any, numbers: set[str]) -> set[str]:
    """Which of these appeals the user may open on the appeals desk (one query)."""
    if not numbers:
        return set()
    return set(
        appeals_visible_to(user=user).filter(tracking_no__in=numbers).values_list("tracking_no", flat=True)
    )


def render_detail(
    request: HttpRequest,
    station: Station,
    *,
    status: int = 200,
    panel: RevealPanel | None = None,
    exception_form: ExceptionForm | None = None,
    photo_form: PhotoForm | None = None,
) -> HttpResponse:
    user = request.user
    can_manage = may_manage(user, station)
    if panel is None:
        panel = reveal_panel(request, obj=station, field=PHONE, perm=StationsPerm.MANAGE)
        if request.method == "POST":
            panel.can_reveal = False  # served at an action's URL, where the panel's form would not post back
    today = timezone.localdate(timezone.now(), hours.LOCAL_TZ)
    feedback = Paginator(selectors.station_feedback(station=station), FEEDBACK_PAGE_SIZE).get_page(
        request.GET.get("fpage")
    )
    numbers = {f.appeal.tracking_no for f in feedback.object_list if f.appeal_id}
    usage = (
        selectors.usage_by_station(
            Station.all_objects.filter(pk=station.pk),
            start=today - timedelta(days=selectors.RECENT_DAYS - 1),
            end=today,
        )
        .values("visit_count", "thumbs_up_count", "problem_count")
        .first()
    )
    context = {
        "station": station,
        "division_path": [*division_ancestors(station.division), station.division],
        "amenities": [Amenity(a).label for a in station.amenities if a in Amenity.values],
        "weekly": weekly_rows(station.opening_hours),
        "open_now": station.is_open(timezone.now()),
        "exceptions": [
            (e, describe_day(e.day_hours))
            for e in station.exceptions.filter(
                date__gte=today - timedelta(days=EXCEPTIONS_PAST_DAYS)
            ).order_by("date")
        ],
        "today": today,
        "photos": list(station.photos.all()),
        "max_photos": station.photos.model.MAX_PER_STATION,
        "phone_panel": panel,
        "can_manage": can_manage,
        "exception_form": exception_form or ExceptionForm(),
        "photo_form": photo_form or PhotoForm(),
        "status_form": StatusForm(initial={"status": station.status}),
        "statuses": Status.choices,
        "checkin_url": poster.checkin_url(request, station),
        "qr_svg": poster.qr_svg(poster.checkin_url(request, station)),
        "feedback": feedback,
        "visible_appeals": visible_tracking_numbers(user, numbers),
        "usage": usage or {"visit_count": 0, "thumbs_up_count": 0, "problem_count": 0},
        "recent_days": selectors.RECENT_DAYS,
    }
    return render(request, "stations/desk/detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    """The page; its POST is the phone panel's "show in full" (core.reveal: permission, reason, audit row)."""
    station = station_or_404(request, station_id)
    if request.method == "POST" and request.POST.get("reveal_field") != PHONE:
        raise BadRequest
    panel = reveal_panel(request, obj=station, field=PHONE, perm=StationsPerm.MANAGE)
    if panel.htmx_response is not None:
        return panel.htmx_response
    return render_detail(request, station, status=400 if panel.form.errors else 200, panel=panel)


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def station_status(request: HttpRequest, station_id: int) -> HttpResponse:
    """GET ?status=… asks to confirm the change; POST makes it."""
    station = managed_station_or_404(request, station_id)
    form = StatusForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose a status from the list."))
        return redirect("stations:desk_station", station_id=station.pk)
    new = form.cleaned_data["status"]
    if request.method == "POST":
        try:
            services.station_set_status(actor=request.user, station=station, status=new)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Status changed to “{status}”.").format(status=Status(new).label))
        return redirect("stations:desk_station", station_id=station.pk)
    return render(
        request,
        "stations/desk/confirm.html",
        {
            "station": station,
            "what": "status",
            "new_status": Status(new),
            "current_status": Status(station.status),
            "hidden": {"status": new},
        },
    )


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def station_delete(request: HttpRequest, station_id: int) -> HttpResponse:
    """GET asks to confirm; POST deletes, or says why not (riders have used the station)."""
    station = managed_station_or_404(request, station_id)
    if request.method == "POST":
        try:
            services.station_delete(actor=request.user, station=station)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("stations:desk_station", station_id=station.pk)
        messages.success(request, _("Station deleted: {name}.").format(name=station.name))
        return redirect("stations:desk_list")
    used = station.visits.exists() or station.feedback.exists()
    return render(request, "stations/desk/confirm.html", {"station": station, "what": "delete", "used": used})


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def checkin_renew(request: HttpRequest, station_id: int) -> HttpResponse:
    """GET asks to confirm; POST makes a new check-in QR code (the printed one stops counting)."""
    station = managed_station_or_404(request, station_id)
    if request.method == "POST":
        services.checkin_code_renew(actor=request.user, station=station)
        messages.success(
            request, _("New check-in QR code made; print the new poster and replace the old one.")
        )
        return redirect("stations:desk_station", station_id=station.pk)
    return render(request, "stations/desk/confirm.html", {"station": station, "what": "renew"})


@require_POST
@perm_required(StationsPerm.VIEW)
def exception_add(request: HttpRequest, station_id: int) -> HttpResponse:
    station = managed_station_or_404(request, station_id)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.exception_set(
                actor=request.user,
                station=station,
                day=d["date"],
                closed=d["closed"],
                opening_hours=d["opening_hours"],
                note=d["note"],
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Exception for {date} saved.").format(date=d["date"].isoformat()))
            return redirect("stations:desk_station", station_id=station.pk)
    return render_detail(request, station, status=400, exception_form=form)


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def exception_remove(request: HttpRequest, station_id: int, exception_id: int) -> HttpResponse:
    station = managed_station_or_404(request, station_id)
    exception = StationException.objects.filter(station=station, pk=exception_id).first()
    if exception is None:
        raise Http404
    if request.method == "POST":
        services.exception_remove(actor=request.user, exception=exception)
        messages.success(request, _("Exception for {date} removed.").format(date=exception.date.isoformat()))
        return redirect("stations:desk_station", station_id=station.pk)
    return render(
        request,
        "stations/desk/confirm.html",
        {
            "station": station,
            "what": "exception",
            "exception": exception,
            "exception_hours": describe_day(exception.day_hours),
        },
    )
