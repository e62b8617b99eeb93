"""/open311/v2/… (GeoReport v2). Every path ends in .xml or .json; the format picks the renderer."""

from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt

from shegong.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

# No Open311 endpoint reads a session (keys are api_key parameters), so CSRF protects nothing here; exempting
# every path lets a wrong method get the spec's 405 error list instead of Django's HTML CSRF page.
urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^discovery" + FMT, csrf_exempt(views.discovery), name="discovery"),
    re_path(r"^services" + FMT, csrf_exempt(views.services), name="services"),
    re_path(
        r"^services/(?P<code>[^/]+)" + FMT, csrf_exempt(views.service_definition), name="service_definition"
    ),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + FMT, csrf_exempt(views.service_request), name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FMT, csrf_exempt(views.token), name="token"),
    re_path(r"^(?P<path>.*)$", csrf_exempt(views.not_found), name="not_found"),
]
