"""Per-request facts (client IP, request ID) that services read when they write audit rows."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("shegong_request_context", default=None)
_OUTSIDE_A_REQUEST = RequestContext()


def current() -> RequestContext:
    return _current.get() or _OUTSIDE_A_REQUEST


def set_current(ctx: RequestContext) -> object:
    return _current.set(ctx)


def reset(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
