"""Request-wide middleware: request context + scope guard, and the body-size limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from shegong.core import request_context
from shegong.core.scoping import scope_guard


def client_ip(request: HttpRequest) -> str | None:
    # Behind a reverse proxy, SHEGONG_TRUSTED_PROXY_HEADER names the header it sets (e.g. HTTP_X_REAL_IP);
    # without one we never trust client-supplied forwarding headers.
    header = getattr(settings, "SHEGONG_TRUSTED_PROXY_HEADER", "")
    if header and request.META.get(header):
        return str(request.META[header]).split(",")[0].strip()
    remote = request.META.get("REMOTE_ADDR")
    return str(remote) if remote else None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = request_context.RequestContext(ip=client_ip(request), request_id=str(uuid.uuid4()))
        token = request_context.set_current(ctx)
        try:
            with scope_guard():
                response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response


# Path prefix → the 413 answer for clients that expect their own error format (Open311's error list in
# XML or JSON); registered by the app that serves the prefix, so core names no domain app.
TooLargeResponder = Callable[[HttpRequest, str], HttpResponse]
TOO_LARGE_RESPONDERS: dict[str, TooLargeResponder] = {}


class BodySizeLimitMiddleware:
    """Refuse bodies over 1 MB (uploads: SHEGONG_UPLOAD_MAX_BYTES) with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = (
            settings.SHEGONG_UPLOAD_MAX_BYTES
            if content_type.startswith("multipart/form-data")
            else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        )
        if length > limit:
            message = _("The request body is too large.")
            for prefix, respond in TOO_LARGE_RESPONDERS.items():
                if request.path.startswith(prefix):
                    return respond(request, message)
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse(
                    {"code": "payload_too_large", "message": message, "details": {"limit_bytes": limit}},
                    status=413,
                )
            # a page (the H5 filing form with five phone photos): a Chinese page with the way back, not a
            # bare text body; rendered without the request, nothing of the refused body is read
            from django.template.loader import render_to_string

            html = render_to_string("413.html", {"limit_mb": max(limit // (1024 * 1024), 1)})
            response = HttpResponse(html, status=413)
            # This answer leaves before the CSP and clickjacking middleware (later in the list) see the
            # request, so it carries their headers itself: every HTML page has the same policy.
            from csp.utils import build_policy

            response["Content-Security-Policy"] = build_policy()
            response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY")
            return response
        return self.get_response(request)


class PreferredLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language (the language cookie set by /i18n/setlang/).

    Django's LocaleMiddleware would follow the browser's Accept-Language, and an official's browser set to
    English would turn a Chinese government platform into English unasked.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
