"""Page shells, health and the language switch (shegong.web, django.conf.urls.i18n)."""

from __future__ import annotations

from typing import Any

from tests.security.matrix.registry import EVERYONE, Case, Fx, register
from tests.security.matrix.roles import ALL_ROLES, DASHBOARD, STAFF


def _nothing(fx: Fx, side: str, marker: str) -> Any:
    """Endpoints about no object: the 'out' side is the same request (the marker check still runs)."""
    return None


def _fixed(url: str) -> Any:
    return lambda obj: url


def page(endpoint: str, url: str, **kwargs: Any) -> Case:
    return Case(endpoint, _nothing, _fixed(url), listing=True, **kwargs)


register(
    page("web:home", "/", ok=EVERYONE, public="the public front page (no data)"),
    page("web:landing", "/landing/", ok=ALL_ROLES, status=302),
    page("web:healthz", "/healthz", ok=EVERYONE, public="{status: ok}, no data"),
    page("web:livez", "/livez", ok=EVERYONE, public="{status: ok}, no data"),
    page(
        "web:livez",
        "/livez",
        method="post",
        ok=EVERYONE,
        public="liveness probe; accepts POST for load balancers, answers the same, writes nothing",
        csrf_exempt="the liveness probe is csrf_exempt: no session, no database, writes nothing",
    ),
    page("web:favicon", "/favicon.ico", ok=EVERYONE, status=302, public="redirect to the static icon"),
    page("desk:home", "/desk/", ok=STAFF),
    page("dashboard:home", "/dashboard/", ok=DASHBOARD),
    page("h5:home", "/h5/", ok=EVERYONE, public="the workers' H5 home tiles"),
    page("set_language", "/i18n/setlang/?next=/", ok=EVERYONE, status=302, public="a GET only redirects"),
    page(
        "set_language",
        "/i18n/setlang/",
        method="post",
        ok=EVERYONE,
        status=302,
        payload=lambda obj: {"language": "en", "next": "/"},
        public="sets the language cookie",
    ),
    page(
        "api:openapi-json",
        "/api/openapi.json",
        ok=EVERYONE,
        public="the API description (no data)",
    ),
    page("api:openapi-view", "/api/docs", ok=EVERYONE, public="the API docs page"),
    page("api:api-root", "/api/", ok=EVERYONE, status=404, public="nothing (404)"),
)
