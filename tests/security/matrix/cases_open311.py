"""Open311 GeoReport v2 (/open311/v2/): public discovery and services; service requests by api_key.

The caller of the request endpoints is an api_key (an ApiToken of a platform account): each role's row
sends that role's key, anonymous and the verified worker send none (the spec's 403; Open311 has no 401)."""

from __future__ import annotations

from typing import Any

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core.models import IdempotencyKey
from tests.security.matrix.registry import ANON, EVERYONE, WORKER, Case, Fx, register

R = Role
READERS = {R.INTAKE, R.HANDLER, R.LEADER}
# a platform's key reads the requests it filed itself: lists answer 200 without these (not its filings),
# one request or token 404
LISTERS = {*READERS, R.PLATFORM_PARTNER}
PARTNER_404 = {**{ANON: 403, WORKER: 403}, R.PLATFORM_PARTNER: 404}
WATCH = (Appeal, AppealEvent, IdempotencyKey)
NO_KEY = {ANON: 403, WORKER: 403}


def _nothing(fx: Fx, side: str, marker: str) -> Any:
    return None


def _appeal(fx: Fx, side: str, marker: str) -> Appeal:
    return fx.appeal(side, marker, State.DISPATCHED)


def public(endpoint: str, url: str, what: str, status: int = 200) -> Case:
    return Case(endpoint, _nothing, lambda obj: url, ok=EVERYONE, status=status, listing=True, public=what)


def keyed(endpoint: str, build: Any, url: Any, **kw: Any) -> Case:
    kw.setdefault("per_role", NO_KEY)
    return Case(endpoint, build, url, credential="api_key", bearer=False, **kw)


register(
    public("open311:discovery", "/open311/v2/discovery.json", "the endpoints and contact (no data)"),
    public("open311:services", "/open311/v2/services.json", "the service list (appeal categories)"),
    public(
        "open311:service_definition", "/open311/v2/services/WAGE.json", "one service's attributes (no data)"
    ),
    Case(
        "open311:not_found",
        _nothing,
        lambda obj: "/open311/v2/nothing-here.json",
        ok=EVERYONE,
        status=404,
        listing=True,
        public="the spec's 404 error list",
        csrf_exempt="the catch-all answers 404 to every method and touches nothing (csrf_exempt in urls.py)",
    ),
    keyed(
        "open311:requests",
        _appeal,
        lambda obj: "/open311/v2/requests.json",
        ok=LISTERS,
        listing=True,
        label="list",
    ),
    keyed(
        "open311:requests",
        _appeal,
        lambda obj: f"/open311/v2/requests.json?service_request_id={obj.tracking_no}",
        ok=LISTERS,
        listing=True,
        label="by id",
    ),
    keyed(
        "open311:request",
        _appeal,
        lambda obj: f"/open311/v2/requests/{obj.tracking_no}.json",
        ok=READERS,
        per_role=PARTNER_404,
    ),
    keyed(
        "open311:token",
        _appeal,
        lambda obj: "/open311/v2/tokens/matrix-token.json",
        ok=READERS,
        status=404,
        listing=True,
        per_role=PARTNER_404,
        note="no request was filed with this token: the spec's 404 for a key that may read",
    ),
    keyed(
        "open311:requests",
        _appeal,
        lambda obj: "/open311/v2/requests.json",
        method="post",
        ok={R.PLATFORM_PARTNER, R.INTAKE},
        status=201,
        out_status=403,
        watch=WATCH,
        csrf_exempt="servers file with an api_key in the body and no session (views.py says why)",
        payload=lambda obj: {
            "service_code": "WAGE",
            "address_id": obj.division_id,
            "description": "站点拖欠我三个月的配送费。",
            "phone": "13912345678",
            "attribute[worker_type]": "food_delivery",
            "attribute[appeal_type]": "complaint",
            "attribute[platform]": "美团",
        },
    ),
)
