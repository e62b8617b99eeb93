"""Enumerate every endpoint the project serves: Django URL patterns (namespaced name + accepted methods)
and ninja API operations ("METHOD /api/v1/…"), read from the live URL resolver and the API's path views."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    key: str  # "ns:name" for pages, "METHOD /api/path" for API operations
    route: str  # the URL pattern, for messages
    methods: frozenset[str]  # methods the view accepts (pages: from require_http_methods; unknown: empty)
    api: bool


def _allowed_methods(callback: Any) -> frozenset[str]:
    """The methods a view accepts, read from django's require_http_methods closure (through any wrapping
    decorators); empty when the view does not restrict them."""
    seen: set[int] = set()
    stack = [callback]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for name, value in zip(
            getattr(getattr(fn, "__code__", None), "co_freevars", ()),
            getattr(fn, "__closure__", None) or (),
            strict=False,
        ):
            try:
                content = value.cell_contents
            except ValueError:
                continue
            # django's require_http_methods, and the Open311 views' own open311_view(*methods)
            if name in {"request_method_list", "methods"} and isinstance(content, (list, tuple, set)):
                return frozenset(str(m).upper() for m in content)
            if callable(content):
                stack.append(content)
        stack.append(getattr(fn, "__wrapped__", None))
    return frozenset()


def _path_view(callback: Any) -> Any:
    for cell in getattr(callback, "__closure__", None) or ():
        content = cell.cell_contents
        if type(content).__name__ == "PathView":
            return content
    return None


def _api_path(route: str) -> str:
    # ninja registers "v1/appeals/<tracking_no>" (or "<int:x>"); OpenAPI writes "{tracking_no}"
    return "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route)


def walk() -> list[Endpoint]:
    found: list[Endpoint] = []

    def visit(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                visit(entry, prefix + str(entry.pattern), ns)
                continue
            assert isinstance(entry, URLPattern)
            route = prefix + str(entry.pattern)
            view = _path_view(entry.callback)
            if view is not None:
                for operation in view.operations:
                    for method in operation.methods:
                        found.append(
                            Endpoint(
                                f"{method.upper()} {_api_path(route)}",
                                route,
                                frozenset({method.upper()}),
                                True,
                            )
                        )
                continue
            name = entry.name
            key = f"{namespace}:{name}" if namespace and name else (name or f"<unnamed {route}>")
            found.append(Endpoint(key, route, _allowed_methods(entry.callback), False))

    visit(get_resolver(), "", None)
    # the same name can be registered twice (one view, two routes); keep one row per key
    unique: dict[str, Endpoint] = {}
    for endpoint in found:
        if endpoint.key in unique:
            old = unique[endpoint.key]
            endpoint = Endpoint(endpoint.key, old.route, old.methods | endpoint.methods, endpoint.api)
        unique[endpoint.key] = endpoint
    return sorted(unique.values(), key=lambda e: e.key)


def openapi_keys() -> set[str]:
    """Operations as the OpenAPI schema lists them (cross-check of the walk above)."""
    from shegong.config.api import api

    schema = api.get_openapi_schema(path_prefix="/api")
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}
