"""/open311/v2/… (GeoReport v2). Every path ends in .xml or .json; the format picks the renderer."""

from django.urls import URLPattern, URLResolver

app_name = "open311"
urlpatterns: list[URLPattern | URLResolver] = []
