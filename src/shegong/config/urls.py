from django.contrib import admin
from django.urls import include, path

from shegong.config.api import api

urlpatterns = [
    path("", include("shegong.web.urls")),
    path("accounts/", include("shegong.accounts.urls")),
    path("desk/", include("shegong.web.desk_urls")),
    path("desk/audit/", include("shegong.core.urls")),
    path("desk/units/", include("shegong.divisions.urls")),
    path("h5/", include("shegong.web.h5_urls")),
    path("", include("shegong.appeals.urls")),  # /h5/appeals/… and /desk/appeals/…
    path("", include("shegong.stations.urls")),  # /h5/stations/… and /desk/stations/…
    path("dashboard/", include("shegong.web.dashboard_urls")),
    path("dashboard/hotspots/", include("shegong.smart.hotspots.urls")),
    path("smart/", include("shegong.smart.urls")),  # duplicate hint (H5) and list (desk)
    path("api/", api.urls),
    path("open311/v2/", include("shegong.open311.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the 中文/English switch
]

# Error pages in Chinese; under /api/ they answer in the JSON error envelope.
handler400 = "shegong.web.errors.bad_request"
handler403 = "shegong.web.errors.permission_denied"
handler404 = "shegong.web.errors.page_not_found"
handler500 = "shegong.web.errors.server_error"
