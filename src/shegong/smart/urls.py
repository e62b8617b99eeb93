"""Pages of the smart module, mounted at /smart/ in the "smart" namespace (hotspots have their own, under
/dashboard/hotspots/)."""

from django.urls import URLPattern, URLResolver, path, re_path

from shegong.appeals.desk.access import TRACKING_NO_RE
from shegong.smart import dup_views

app_name = "smart"
urlpatterns: list[URLPattern | URLResolver] = [
    path("h5/duplicates/hint/", dup_views.h5_hint, name="h5_dup_hint"),
    re_path(
        rf"^desk/appeals/(?P<tracking_no>{TRACKING_NO_RE})/duplicates/$",
        dup_views.desk_duplicates,
        name="desk_duplicates",
    ),
]
