"""Station photos on the desk (add, remove with confirmation) and serving them.

Serving: a photo of a station that is not closed down is public — riders see it on the H5 pages without
logging in; a closed station's photos are for staff who may see the station (anonymous: the login page;
out of scope: 404). The content type is the one stored at upload (never sniffed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shegong.core.images import ALLOWED_FORMATS
from shegong.core.scoping import require_any_scope
from shegong.stations import photos, selectors
from shegong.stations.choices import StationsPerm, Status
from shegong.stations.desk.access import managed_station_or_404, perm_required
from shegong.stations.desk.detail_views import render_detail
from shegong.stations.forms import PhotoForm
from shegong.stations.models import StationPhoto

_EXTENSIONS = dict(ALLOWED_FORMATS.values())  # content type → file extension
PUBLIC_CACHE_SECONDS = 3600  # a rider's browser and the CDN may keep a public photo for an hour
STAFF_CACHE_SECONDS = 600


@require_POST
@perm_required(StationsPerm.VIEW)
def photo_add(request: HttpRequest, station_id: int) -> HttpResponse:
    station = managed_station_or_404(request, station_id)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photos.photo_add(
                actor=request.user,
                station=station,
                upload=form.cleaned_data["photo"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as exc:
            form.add_error("photo", exc.messages)
        else:
            messages.success(request, _("Photo added."))
            return redirect("stations:desk_station", station_id=station.pk)
    return render_detail(request, station, status=400, photo_form=form)


@require_http_methods(["GET", "POST"])
@perm_required(StationsPerm.VIEW)
def photo_remove(request: HttpRequest, station_id: int, photo_id: int) -> HttpResponse:
    station = managed_station_or_404(request, station_id)
    photo = StationPhoto.objects.filter(station=station, pk=photo_id).first()
    if photo is None:
        raise Http404
    if request.method == "POST":
        photos.photo_remove(actor=request.user, photo=photo)
        messages.success(request, _("Photo removed."))
        return redirect("stations:desk_station", station_id=station.pk)
    return render(
        request, "stations/desk/confirm.html", {"station": station, "what": "photo", "photo": photo}
    )


@require_GET
def photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """The photo file: public unless the station is closed down; then only for staff who see the station."""
    found = StationPhoto.objects.filter(pk=photo_id).select_related("station").first()
    if found is None:
        raise Http404
    public = found.station.status != Status.CLOSED
    if not public:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_any_scope(request.user, StationsPerm.VIEW)
        if not selectors.stations_visible_to(user=request.user).filter(pk=found.station_id).exists():
            raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=found.content_type,
        as_attachment=False,
        filename=f"station-photo-{found.pk}.{_EXTENSIONS.get(found.content_type, 'bin')}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    else:
        patch_cache_control(response, private=True, max_age=STAFF_CACHE_SECONDS)
    return response
