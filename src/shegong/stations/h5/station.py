"""One station on the rider's phone: its page, the 👍 and problem-report buttons, and the 打卡 check-in
page the station's QR code opens.

A problem report needs the rider's phone, confirmed by a one-time code: the same flow and limits as the
appeal filing page (`appeals.h5.otp`, the session's verified phone). The report becomes an appeal, and the
rider lands on the appeal's "received" page with its tracking number.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from shegong.appeals.h5 import otp
from shegong.appeals.h5.forms import SendCodeForm
from shegong.appeals.verified import verified_phone
from shegong.core import ratelimit
from shegong.core.middleware import client_ip
from shegong.core.phone_verification import VerificationError
from shegong.core.pii import mask_phone
from shegong.stations import usage
from shegong.stations.choices import FeedbackKind, Kind, Status
from shegong.stations.h5 import lookup, present
from shegong.stations.h5.forms import ProblemForm
from shegong.stations.hours import LOCAL_TZ
from shegong.stations.models import Station, StationPhoto

# Per network address, on top of the per-visitor limit in usage.py (a new browser session is cheap).
FEEDBACK_PER_ADDRESS = 60
CHECKINS_PER_ADDRESS = 120
ADDRESS_WINDOW_SECONDS = 3600


def _photo_urls(station: Station) -> list[dict[str, Any]]:
    """Photo links, or none while the photo-serving view is not installed."""
    photos = []
    for photo in StationPhoto.objects.filter(station=station).only("id", "caption", "station_id"):
        try:
            url = reverse("stations:photo", kwargs={"photo_id": photo.pk})
        except NoReverseMatch:
            return []
        photos.append({"url": url, "caption": photo.caption})
    return photos


def _station_or_404(pk: int) -> Station:
    station = lookup.public_station(pk)
    if station is None:
        raise Http404
    return station


def _context(request: HttpRequest, station: Station, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    exception = lookup.exception_today(station, now)
    phone = verified_phone(request)
    return {
        "station": station,
        "kind": Kind(station.kind).label,
        "status_label": Status(station.status).label,
        "in_service": station.status == Status.OPEN,
        "open_now": station.is_open(
            now, exceptions={exception.date: exception.day_hours} if exception else {}
        ),
        "week": present.week(station.opening_hours, now.astimezone(LOCAL_TZ).date()),
        "exception": exception,
        "exception_text": present.day_text(exception.day_hours) if exception else "",
        "amenities": present.amenities(station.amenities),
        "phone": station.masked_phone,
        "photos": _photo_urls(station),
        "nav": present.nav_links(station),
        "verified_phone": mask_phone(phone) if phone else "",
        "problem_form": extra.pop("problem_form", None) or ProblemForm(verified_phone=phone),
        "resend_seconds": otp.RESEND_SECONDS,
        "countdown": 0,
        **extra,
    }


@never_cache
@require_http_methods(["GET"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    station = _station_or_404(pk)
    return render(request, "stations/h5/station.html", _context(request, station))


def _address_allows(request: HttpRequest, prefix: str, limit: int) -> bool:
    key = f"{prefix}:{client_ip(request) or 'unknown'}"
    return ratelimit.hit(key, limit=limit, window=ADDRESS_WINDOW_SECONDS).allowed


def _too_much(request: HttpRequest, station: Station) -> HttpResponse:
    messages.error(request, _("Too much feedback came from this network. Please try again later."))
    return render(request, "stations/h5/station.html", _context(request, station), status=429)


@never_cache
@require_POST
def thumbs_up(request: HttpRequest, pk: int) -> HttpResponse:
    """👍: no login, one per visitor and station a day."""
    station = _station_or_404(pk)
    if not _address_allows(request, "stations-feedback-ip", FEEDBACK_PER_ADDRESS):
        return _too_much(request, station)
    try:
        result = usage.feedback_submit(
            station=station, kind=FeedbackKind.THUMBS_UP, note="", visitor=usage.visitor_key(request)
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        if result.created:
            messages.success(request, _("Thank you! Your thumbs-up helps other riders find good stations."))
        else:
            messages.info(request, _("You already gave this station a thumbs-up today."))
    return redirect("stations:h5_station", pk=station.pk)


def _form_errors(form: ProblemForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@never_cache
@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """报告问题: the rider's phone (confirmed by code) files a low-priority appeal for the operator."""
    station = _station_or_404(pk)
    phone = verified_phone(request)
    if request.POST.get("action") == "send" and not phone:
        # Without JavaScript the "get a code" button posts the whole form here.
        sender = SendCodeForm(request.POST)
        countdown = 0
        if sender.is_valid():
            sent = otp.send(request, sender.cleaned_data["phone"])
            (messages.success if sent.sent else messages.error)(request, sent.message)
            countdown = otp.RESEND_SECONDS if sent.sent else 0
        else:
            messages.error(request, str(sender.errors["phone"][0]))
        form = ProblemForm(
            initial={k: request.POST.get(k, "") for k in ("kind", "note", "worker_type", "phone")}
        )
        return render(
            request,
            "stations/h5/station.html",
            _context(request, station, problem_form=form, countdown=countdown, open_report=True),
        )
    form = ProblemForm(request.POST, verified_phone=phone)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        if not _address_allows(request, "stations-feedback-ip", FEEDBACK_PER_ADDRESS):
            return _too_much(request, station)
        if phone is None:
            try:
                otp.check(request, data["phone"], data["code"])
            except VerificationError as exc:
                form.add_error("code", exc.messages[0])
            else:
                phone = data["phone"]
        if phone is not None:
            try:
                result = usage.feedback_submit(
                    station=station,
                    kind=data["kind"],
                    note=data["note"],
                    visitor=usage.visitor_key(request),
                    phone=phone,
                    worker_type=data["worker_type"],
                )
            except usage.FeedbackLimited as exc:
                form.add_error(None, exc.messages)
                status = 429
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request, _("Thank you. Your report was passed on to the people running the station.")
                )
                if result.appeal is None:  # not for a problem kind; kept for safety
                    return redirect("stations:h5_station", pk=station.pk)
                return redirect("appeals:h5_done", tracking_no=result.appeal.tracking_no)
    context = _context(request, station, problem_form=form, open_report=True)
    return render(request, "stations/h5/station.html", context, status=status)


def _checkin_404(request: HttpRequest) -> HttpResponse:
    return render(request, "stations/h5/checkin_unknown.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """打卡: the QR code at the station opens this page; the button records one visit an hour."""
    station = lookup.station_by_checkin_token(token)
    if station is None:
        return _checkin_404(request)
    context: dict[str, Any] = {
        "station": station,
        "kind": Kind(station.kind).label,
        "amenities": present.amenities(station.amenities),
        "refusal": usage.refusal(station),
        "outcome": "",
    }
    if request.method == "POST" and context["refusal"] is None:
        if not _address_allows(request, "stations-checkin-ip", CHECKINS_PER_ADDRESS):
            context["outcome"] = "limited"
            return render(request, "stations/h5/checkin.html", context, status=429)
        try:
            result = usage.visit_record(station=station, visitor=usage.visitor_key(request))
        except ValidationError as exc:
            context["refusal"] = exc.messages[0]
        else:
            context["outcome"] = "recorded" if result.created else "already"
            context["visit_at"] = result.visit.at
    status = 409 if request.method == "POST" and context["refusal"] else 200
    return render(request, "stations/h5/checkin.html", context, status=status)
