"""URLconf for tests/web: the project's URLs and error handlers plus a few views that fail on purpose."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from shegong.config.urls import handler400, handler403, handler404, handler500  # noqa: F401  (Django reads them)
from shegong.config.urls import urlpatterns as project_urlpatterns


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
