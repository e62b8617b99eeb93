"""The check-in QR code: the absolute URL of the rider's check-in page for a station's secret token,
drawn as SVG on the server (no script, no third party sees the URL), and the printable poster page."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from shegong.stations.choices import StationsPerm
from shegong.stations.desk.access import perm_required, station_or_404
from shegong.stations.models import Station

CHECKIN_URL_NAME = "stations:h5_checkin"
_SIZE = re.compile(r'width="[\d.]+mm" height="[\d.]+mm"')


def checkin_path(station: Station) -> str:
    """/h5/stations/checkin/<token>/ — by name once the H5 page is installed, else its documented path."""
    try:
        return reverse(CHECKIN_URL_NAME, args=[station.checkin_token])
    except NoReverseMatch:
        return f"/h5/stations/checkin/{station.checkin_token}/"


def checkin_url(request: HttpRequest, station: Station) -> str:
    """The absolute URL a rider's phone opens (host checked by ALLOWED_HOSTS, scheme by the proxy header)."""
    return request.build_absolute_uri(checkin_path(station))


def qr_svg(data: str, *, label: str = "") -> SafeString:
    """`data` as an inline <svg> QR code (medium error correction: a poster survives a scratch)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    attributes = f'class="sg-qr" role="img" aria-label="{escape(label or _("Check-in QR code"))}"'
    # The markup is the library's own (paths of the modules only); the URL is not in it as text.
    return mark_safe(_SIZE.sub(attributes, svg, count=1))  # noqa: S308


@require_GET
@perm_required(StationsPerm.VIEW)
def station_poster(request: HttpRequest, station_id: int) -> HttpResponse:
    """A page to print and put up at the station: its name, "scan to check in" and the QR code."""
    station = station_or_404(request, station_id)
    url = checkin_url(request, station)
    return render(
        request,
        "stations/desk/poster.html",
        {"station": station, "qr_svg": qr_svg(url, label=station.name), "checkin_url": url},
    )
