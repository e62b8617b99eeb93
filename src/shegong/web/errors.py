"""Error pages (400/403/404/500) in the platform's language; JSON in the API's envelope under /api/.

config/urls.py wires them:

    handler400 = "shegong.web.errors.bad_request"
    handler403 = "shegong.web.errors.permission_denied"
    handler404 = "shegong.web.errors.page_not_found"
    handler500 = "shegong.web.errors.server_error"

The pages never show the exception text: a 404 for an out-of-scope object must not reveal that it exists.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "details": {}}, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return _json(400, "bad_request", _("The request could not be understood."))
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return _json(403, "forbidden", _("You do not have permission for this action."))
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return _json(404, "not_found", _("Not found."))
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return _json(500, "server_error", _("Something went wrong on our side. Please try again later."))
    # Rendered without the request context: whatever broke (the database, a context processor) must not
    # break the error page too.
    try:
        body: str = render_to_string("500.html")
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = "<!DOCTYPE html><title>500</title><h1>500</h1>"
    return HttpResponse(body, status=500)
