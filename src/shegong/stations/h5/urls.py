"""The rider's station pages, mounted at /h5/stations/ in the "stations" namespace (docs/stations-h5.md)."""

from django.urls import URLPattern, URLResolver, path

from shegong.stations.h5 import nearby, station

urlpatterns: list[URLPattern | URLResolver] = [
    path("", nearby.nearby, name="h5_nearby"),
    path("<int:pk>/", station.detail, name="h5_station"),
    path("<int:pk>/thumbs-up/", station.thumbs_up, name="h5_thumbs_up"),
    path("<int:pk>/report/", station.report, name="h5_report"),
    # The QR code on the station's poster: the token is the station's current check-in secret.
    path("checkin/<str:token>/", station.checkin, name="h5_checkin"),
]
