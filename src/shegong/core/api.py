"""API plumbing every module's router uses: authentication, the error envelope, pagination.

Error envelope (the only error shape the API returns):
    {"code": "not_found", "message": "<Chinese text>", "details": {...}}
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security.session import SessionAuth

from shegong.core.idempotency import IdempotencyConflict, IdempotencyKeyInvalid

T = TypeVar("T")


TOKEN_USE_RESOLUTION = timedelta(minutes=1)
MAX_PAGE = 1_000_000


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class ConflictError(ValidationError):
    """A well-formed request that lost to the current state of the record (someone else acted first, or
    the state no longer allows it). Services raise a subclass; pages show the message, the API answers 409."""


class ApiError(Exception):
    """Raise from a router or service to answer with the envelope and a 4xx status."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for systems; tokens are created with `shegong manage api_token`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from shegong.accounts.models import ApiToken

        now = timezone.now()
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_RESOLUTION:
            # a write per call would put a row lock on every API request; a minute's resolution is enough
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


class StaffSessionAuth(SessionAuth):
    """The desk's logged-in session (CSRF-checked on unsafe methods by ninja's APIKeyCookie)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


# The bearer token first: the session authenticator checks CSRF before it looks at the session, and a
# system sending a token has no CSRF cookie (a forged browser request cannot set Authorization).
AUTH: list[APIKeyCookie | HttpBearer] = [BearerTokenAuth(), StaffSessionAuth(csrf=True)]


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    items: list[T]


def paginate(queryset: Any, *, page: int, page_size: int, max_page_size: int = 200) -> dict[str, Any]:
    """The same page shape everywhere: count, page, page_size, items."""
    if page < 1:
        raise ApiError(400, "invalid_page", _("The page number starts at 1."))
    if page > MAX_PAGE:  # an offset beyond what the database accepts would be a 500
        raise ApiError(400, "invalid_page", _("The page number is too large."))
    if not 1 <= page_size <= max_page_size:
        raise ApiError(
            400,
            "invalid_page_size",
            _("The page size must be between 1 and {max}.").format(max=max_page_size),
        )
    count = queryset.count()
    start = (page - 1) * page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": list(queryset[start : start + page_size]),
    }


def _envelope(
    api: NinjaAPI, request: HttpRequest, status: int, code: str, message: str, **details: Any
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details}, status=status)


# The envelope's statuses, declared on every operation they can come from (see _error_statuses), so the
# schema names every status a client can get; the fuzz tests (docs/security-fuzz.md) hold the API to it.
ERROR_RESPONSES = {
    400: "Malformed request: a parameter or the body is missing, of the wrong type, not JSON, or holds a NUL",
    401: "Not authenticated: log in, or send a valid API token",
    403: "Not permitted (or the session's CSRF check failed)",
    404: "Not found, or outside your jurisdiction",
    409: "The record's state or version moved on; read it again",
    413: "The request body is too large",
    422: "Well-formed, but refused by the rules (per-field messages in details)",
}


def _error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    params = operation.get("parameters") or []
    body = "requestBody" in operation
    statuses = {400}  # any request can be malformed (a NUL in the query, a broken body)
    if params or body:
        statuses.add(422)  # a value the service or filter refuses
    if operation.get("security"):
        statuses |= {401, 403, 404}  # no credentials; no permission; out of scope (a filter, too)
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if method.lower() in {"post", "put", "patch", "delete"}:
        statuses |= {409, 422}
    if body:
        statuses.add(413)
    return statuses


class ShegongAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema declares the error envelope on every operation (an operation's own
    `response={...}` entry for a status wins)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for status in sorted(_error_statuses(method, operation)):
                    responses.setdefault(
                        status,
                        {
                            "description": ERROR_RESPONSES[status],
                            "content": {"application/json": {"schema": ref}},
                        },
                    )
        return schema


def build_api(*, routers: list[tuple[str, Any]] | None = None, namespace: str = "api") -> NinjaAPI:
    """The project's API with every router in settings.SHEGONG_API_ROUTERS (tests pass their own)."""
    api = ShegongAPI(
        title="社工服务平台 API",
        version="1",
        description=_api_description(),
        auth=AUTH,
        urls_namespace=namespace,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _envelope(api, request, exc.status, exc.code, exc.message, **exc.details)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        # Schema violations (wrong types, missing fields) are the client's malformed request: 400.
        # 422 is kept for well-formed requests that a service refuses (ValidationError, idempotency reuse).
        if _body_is_not_an_object(request):
            return _envelope(
                api, request, 400, "malformed_body", _("The request body must be a JSON object.")
            )
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        return _envelope(
            api,
            request,
            400,
            "invalid_input",
            _("Some fields are missing or of the wrong type."),
            errors=errors,
        )

    @api.exception_handler(ConflictError)
    def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        return _envelope(api, request, 409, "conflict", " ".join(exc.messages))

    @api.exception_handler(ValidationError)
    def _django_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _envelope(api, request, 422, "invalid_input", _("Some fields are not valid."), fields=fields)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _envelope(api, request, 401, "unauthenticated", _("Log in or send a valid API token."))

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return _envelope(api, request, 403, "forbidden", _("You do not have permission for this action."))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _envelope(api, request, 404, "not_found", _("Not found."))

    @api.exception_handler(IdempotencyConflict)
    def _idem_conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
        return _envelope(
            api,
            request,
            422,
            "idempotency_key_reused",
            _("This Idempotency-Key was used with a different request."),
        )

    @api.exception_handler(IdempotencyKeyInvalid)
    def _idem_invalid(request: HttpRequest, exc: IdempotencyKeyInvalid) -> HttpResponse:
        return _envelope(api, request, 400, "invalid_idempotency_key", str(exc))

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # ninja's body parser failed (not JSON, not UTF-8)
            return _envelope(api, request, 400, "malformed_body", _("The request body is not valid JSON."))
        code = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
        }
        return _envelope(api, request, exc.status_code, code.get(exc.status_code, "error"), str(exc.message))

    # after authentication (an anonymous caller gets its 401 first), before the view reads anything
    api.add_decorator(functools.partial(_refuse_nul, api), mode="operation")
    for prefix, router in routers if routers is not None else _routers():
        api.add_router(prefix, router)
    return api


def _refuse_nul(api: NinjaAPI, view: Callable[..., Any]) -> Callable[..., Any]:
    """A NUL character in the path, the query or a JSON body is a 400 before anything reads it: PostgreSQL
    text cannot hold one (a filter or a write would fail with a 500), and no field accepts one (Django's
    form fields refuse it on the pages the same way)."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if _has_nul(request):
            return _envelope(
                api,
                request,
                400,
                "invalid_input",
                _("The request contains a NUL character, which no field accepts."),
            )
        return view(request, *args, **kwargs)

    return checked


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    ):
        return True
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):  # a photo's bytes hold NULs; its form fields must not
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists())
    body = request.body
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body.lower():
        return False
    try:  # an escaped NUL in a JSON string (and not a literal backslash followed by "u0000")
        return _json_has_nul(json.loads(body))
    except ValueError:
        return False


def _json_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False


def _body_is_not_an_object(request: HttpRequest) -> bool:
    if not request.content_type or "json" not in request.content_type or not request.body:
        return False
    try:
        return not isinstance(json.loads(request.body), dict)
    except ValueError:
        return True


def _routers() -> list[tuple[str, Any]]:
    from django.utils.module_loading import import_string

    return [(prefix, import_string(path)) for prefix, path in settings.SHEGONG_API_ROUTERS]


def _api_description() -> str:
    return (
        "社工服务平台 JSON API。认证：工作台登录会话（写操作需 CSRF 令牌）或 `Authorization: Bearer <令牌>`。"
        '所有错误以统一信封返回：`{"code", "message", "details"}`；越权访问范围外的数据返回 404，'
        "范围内无权限的操作返回 403。支持 `Idempotency-Key` 的写接口在重试时返回首次结果。"
    )
