"""The project's API with the stations router mounted (until settings.SHEGONG_API_ROUTERS lists it)."""

from django.urls import path

from shegong.core.api import build_api
from shegong.stations.api import router

api = build_api(routers=[("/v1/stations", router)], namespace="stations-test-api")

urlpatterns = [path("api/", api.urls)]
