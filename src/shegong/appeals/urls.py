"""Every page of the appeals module in one "appeals" namespace: H5 pages under /h5/appeals/, desk pages
under /desk/appeals/. Each page group keeps its own urls.py; the more specific prefixes come first so
that a desk detail URL pattern cannot swallow them."""

from django.urls import include, path

app_name = "appeals"
urlpatterns = [
    path("h5/appeals/", include("shegong.appeals.h5.urls")),
    path("desk/appeals/files/", include("shegong.appeals.files.urls")),
    path("desk/appeals/catalogue/", include("shegong.appeals.catalogue_pages.urls")),
    path("desk/appeals/indicators/", include("shegong.appeals.indicators.urls")),
    path("desk/appeals/", include("shegong.appeals.desk.urls")),
]
