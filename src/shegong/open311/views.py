"""GeoReport v2 endpoints (https://wiki.open311.org/GeoReport_v2). Every path ends in .xml or .json; every
refusal is the spec's error list in that format: 404 for what does not exist, 403 for a missing or wrong
api_key, 400 for anything else.

Reading service requests needs an api_key here, unlike the spec's default: appeals are workers' own
matters, not public reports (see selectors for who reads what).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from shegong.appeals.audit_actions import AppealsAction
from shegong.core.models import AuditEvent, IdempotencyKey
from shegong.open311 import catalogue, filing, present, selectors
from shegong.open311.auth import account_for_api_key
from shegong.open311.forms import parse_requests_query
from shegong.open311.render import Many, Open311Error, error_response, format_of, render

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's shape last changed; the discovery changeset is the later of it and the last change
# to the categories (the spec: a new changeset tells clients to refresh cached services).
API_CHANGESET = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)

View = Callable[..., HttpResponse]


def open311_view(*methods: str) -> Callable[[View], View]:
    """Allow `methods` and turn every refusal into the spec's error list in the format asked for."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error_response(
                    fmt, 405, [_("This resource does not take {method}.").format(method=request.method)]
                )
                response["Allow"] = ", ".join(methods)
                return response
            if _has_nul(request, kwargs):  # PostgreSQL refuses a NUL in a query or a row: a 500 otherwise
                return error_response(
                    fmt, 400, [_("The request contains a NUL character, which no field accepts.")]
                )
            try:
                return view(request, fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.descriptions)

        return wrapper

    return decorate


def _has_nul(request: HttpRequest, kwargs: dict[str, Any]) -> bool:
    """A NUL in the path, the query string or the form fields (not in an uploaded file's bytes)."""
    params = [*kwargs.values(), *request.GET.keys(), *(v for _k, vs in request.GET.lists() for v in vs)]
    if request.method == "POST":
        params += [*request.POST.keys(), *(v for _k, vs in request.POST.lists() for v in vs)]
    return any("\x00" in str(value) for value in params)


def _account(request: HttpRequest, params: Any) -> Any:
    user = account_for_api_key(params.get("api_key"))
    if user is None:
        raise Open311Error(403, _("api_key is missing or not valid."))
    return user


# --- discovery and services (public) ----------------------------------------------------------------------
@open311_view("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    here = reverse("open311:discovery", kwargs={"fmt": fmt})
    changed = (
        AuditEvent.objects.filter(action__in=[AppealsAction.CATEGORY_CREATED, AppealsAction.CATEGORY_UPDATED])
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    changeset = max(API_CHANGESET, changed) if changed else API_CHANGESET
    endpoint = {
        "specification": SPECIFICATION,
        "url": request.build_absolute_uri(here.rsplit("/", 1)[0]),
        "changeset": changeset,
        "type": "production" if settings.SHEGONG_PRODUCTION else "test",
        "formats": Many("format", ["text/xml", "application/json"]),
    }
    document = {
        "changeset": changeset,
        "contact": _("Ask the platform's administrators (the social work department that runs it)."),
        "key_service": _(
            "Platform enterprises get an api_key from the platform's administrators; a key files and "
            "reads only inside its division."
        ),
        "endpoints": Many("endpoint", [endpoint]),
    }
    return render(fmt, "discovery", document)


@open311_view("GET", "HEAD")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    selectors.jurisdiction(request.GET.get("jurisdiction_id"))  # categories apply everywhere: only checked
    entries = [catalogue.service_entry(c) for c in catalogue.active_categories()]
    return render(fmt, "services", Many("service", entries))


@open311_view("GET", "HEAD")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    category = catalogue.active_category(code)
    if category is None:
        raise Open311Error(404, _("service_code {code} was not found.").format(code=code[:40]))
    return render(fmt, "service_definition", catalogue.service_definition(category))


# --- service requests (api_key) ----------------------------------------------------------------------------
# Exempt from CSRF: servers call it with an api_key in the form body and no browser session, so there is
# no cookie a forged cross-site request could ride on; the key itself is the credential.
@csrf_exempt
@open311_view("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        # the spec sends the key in the form body; some clients put it in the query string
        user = _account(request, request.POST if "api_key" in request.POST else request.GET)
        status, entry = filing.file_request(
            user=user, post=request.POST, idempotency_key=request.headers.get("Idempotency-Key")
        )
        return render(fmt, "service_requests", Many("request", [entry]), status=status)
    user = _account(request, request.GET)
    division = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    query = parse_requests_query(request.GET)
    appeals = selectors.requests_for(user=user, query=query, division=division)
    return render(fmt, "service_requests", Many("request", [present.request_entry(a) for a in appeals]))


@open311_view("GET", "HEAD")
def service_request(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    user = _account(request, request.GET)
    division = selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    appeal = selectors.request_for(user=user, request_id=request_id, division=division)
    return render(fmt, "service_requests", Many("request", [present.request_entry(appeal)]))


@open311_view("GET", "HEAD")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """We file while the client waits, so POST never answers with a token; a token here is the
    Idempotency-Key the client sent with its POST, which tells a client that lost the answer which
    request it filed (for as long as keys are kept, SHEGONG_IDEMPOTENCY_TTL_HOURS)."""
    user = _account(request, request.GET)
    selectors.readable_appeals(user)  # a key that may read nothing is refused before any lookup
    selectors.jurisdiction(request.GET.get("jurisdiction_id"))
    stored = (
        IdempotencyKey.objects.filter(scope=filing.scope_of(user), key=token)
        .values_list("response", flat=True)
        .first()
    )
    request_id = stored.get("service_request_id") if isinstance(stored, dict) else None
    if not request_id:
        raise Open311Error(404, _("No service request was filed with this token."))
    # the request must still be readable by this key (a key that lost its grant learns nothing)
    selectors.request_for(user=user, request_id=request_id, division=None)
    return render(
        fmt, "service_requests", Many("request", [{"service_request_id": request_id, "token": token}])
    )


def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Anything else under /open311/v2/: the spec's 404, in JSON when the path asks for it, else XML."""
    return error_response(
        format_of(path), 404, [_("No such resource; the endpoints are listed in discovery.xml.")]
    )


def too_large(request: HttpRequest, message: str) -> HttpResponse:
    """The body-size limit's 413 (core.middleware), as the spec's error list in the format asked for."""
    return error_response(format_of(request.path), 413, [message])
