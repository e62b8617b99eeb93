"""Desk pages of the stations module, mounted at /desk/stations/ in the "stations" namespace (Excel
import/export has its own group, transfer_urls.py). `photo` serves photos to riders too, so it checks
who asks itself rather than requiring a login."""

from django.urls import URLPattern, URLResolver, path

from shegong.stations.desk import detail_views as d
from shegong.stations.desk import edit_views as e
from shegong.stations.desk import list_views as lists
from shegong.stations.desk import photo_views as p
from shegong.stations.desk import poster, usage_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", lists.desk_list, name="desk_list"),
    path("new/", e.station_new, name="desk_new"),
    path("usage/", usage_views.usage, name="desk_usage"),
    path("unit-options/", e.unit_options, name="desk_unit_options"),
    path("photos/<int:photo_id>/", p.photo, name="photo"),
    path("<int:station_id>/", d.station_detail, name="desk_station"),
    path("<int:station_id>/edit/", e.station_edit, name="desk_edit"),
    path("<int:station_id>/status/", d.station_status, name="desk_status"),
    path("<int:station_id>/delete/", d.station_delete, name="desk_delete"),
    path("<int:station_id>/qr/renew/", d.checkin_renew, name="desk_qr_renew"),
    path("<int:station_id>/poster/", poster.station_poster, name="desk_poster"),
    path("<int:station_id>/exceptions/", d.exception_add, name="desk_exception_add"),
    path(
        "<int:station_id>/exceptions/<int:exception_id>/remove/",
        d.exception_remove,
        name="desk_exception_remove",
    ),
    path("<int:station_id>/photos/", p.photo_add, name="desk_photo_add"),
    path("<int:station_id>/photos/<int:photo_id>/remove/", p.photo_remove, name="desk_photo_remove"),
]
