"""URLconf for tests/web: the project's URLs plus the error handlers and a few views that fail on purpose.

config/urls.py gets the same four handler lines (see shegong.web.errors).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from shegong.config.urls import urlpatterns as project_urlpatterns

handler400 = "shegong.web.errors.bad_request"
handler403 = "shegong.web.errors.permission_denied"
handler404 = "shegong.web.errors.page_not_found"
handler500 = "shegong.web.errors.server_error"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internal detail")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("secret internal detail")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("secret internal detail")


def api_forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def flash(request: HttpRequest) -> HttpResponse:
    messages.success(request, "单位已保存")
    return redirect("desk:home")


urlpatterns = [
    path("_test/boom/", boom),
    path("_test/suspicious/", suspicious),
    path("_test/forbidden/", forbidden),
    path("api/_test/forbidden/", api_forbidden),
    path("_test/flash/", flash),
    *project_urlpatterns,
]
