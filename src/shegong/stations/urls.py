"""Every page of the stations module in one "stations" namespace: riders' pages under /h5/stations/, desk
pages under /desk/stations/ (Excel import/export under /desk/stations/transfer/, before the detail
patterns)."""

from django.urls import include, path

app_name = "stations"
urlpatterns = [
    path("h5/stations/", include("shegong.stations.h5.urls")),
    path("desk/stations/transfer/", include("shegong.stations.desk.transfer_urls")),
    path("desk/stations/", include("shegong.stations.desk.urls")),
]
