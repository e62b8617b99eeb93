"""The audit log: pages, export and API (shegong.core)."""

from __future__ import annotations

from typing import Any

from shegong.core.models import AuditEvent
from tests.security.matrix.registry import Case, Fx, register
from tests.security.matrix.roles import AUDIT


def _event(fx: Fx, side: str, marker: str) -> AuditEvent:
    return AuditEvent.objects.create(
        action="accounts.login.succeeded",
        actor_label=f"actor{marker}",
        target_label=f"target {marker}",
        division_code=fx.division(side).code,
        changes={"note": marker},
    )


def _list_filtered(obj: Any) -> str:
    # the list filtered to the object's own division: in scope shows it, out of scope is refused
    return f"/desk/audit/?division={obj.division_code}"


register(
    Case("audit:list", _event, lambda obj: "/desk/audit/", ok=AUDIT, label="all", listing=True),
    Case("audit:list", _event, _list_filtered, ok=AUDIT, out_status=200, label="division filter"),
    Case("audit:detail", _event, lambda obj: f"/desk/audit/{obj.pk}/", ok=AUDIT),
    Case(
        "audit:export",
        _event,
        lambda obj: "/desk/audit/export/?format=csv",
        ok=AUDIT,
        label="csv",
        listing=True,
    ),
    Case(
        "audit:export",
        _event,
        lambda obj: "/desk/audit/export/?format=xlsx",
        ok=AUDIT,
        label="xlsx",
        listing=True,
    ),
    Case(
        "audit:export",
        _event,
        lambda obj: f"/desk/audit/export/?format=csv&division={obj.division_code}",
        ok=AUDIT,
        label="division filter",
    ),
    Case("GET /api/v1/audit", _event, lambda obj: "/api/v1/audit", ok=AUDIT, label="all", listing=True),
    Case(
        "GET /api/v1/audit",
        _event,
        lambda obj: f"/api/v1/audit?division={obj.division_code}",
        ok=AUDIT,
        label="division filter",
    ),
    Case("GET /api/v1/audit/{event_id}", _event, lambda obj: f"/api/v1/audit/{obj.pk}", ok=AUDIT),
)
