"""Divisions and units: desk pages and API (shegong.divisions)."""

from __future__ import annotations

from typing import Any

from shegong.divisions.models import Division, Unit
from tests.security.matrix.registry import Case, Fx, register
from tests.security.matrix.roles import DIVISION_VIEW, UNIT_MANAGE, UNIT_VIEW


def _unit(fx: Fx, side: str, marker: str) -> Unit:
    return Unit.all_objects.create(
        name=f"单位{marker}", unit_type="social_work_dept", division=fx.division(side)
    )


def _division(fx: Fx, side: str, marker: str) -> Division:
    parent = fx.division(side)
    code = parent.code[:9] + "077"
    return Division.objects.create(code=code, name=f"社区{marker}", level=12, parent=parent, is_demo=True)


def _unit_form(obj: Unit, fx: Fx) -> dict[str, Any]:
    return {"name": "改名单位", "unit_type": "social_work_dept", "division": obj.division_id, "parent": ""}


WATCH_UNITS = (Unit,)

register(
    # --- pages ---
    Case("units:list", _unit, lambda obj: "/desk/units/", ok=UNIT_VIEW, listing=True, label="all"),
    Case(
        "units:list",
        _unit,
        lambda obj: f"/desk/units/?q={obj.name[:8]}",
        ok=UNIT_VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "units:list",
        _unit,
        lambda obj: f"/desk/units/?division={obj.division_id}",
        ok=UNIT_VIEW,
        out_status=200,
        label="division filter",
    ),
    Case("units:detail", _unit, lambda obj: f"/desk/units/{obj.pk}/", ok=UNIT_VIEW),
    Case(
        "units:create",
        _unit,
        lambda obj: f"/desk/units/new/?division={obj.division_id}",
        out_status=200,  # the code is only the form's initial value; the POST refuses a division outside
        ok=UNIT_MANAGE,
    ),
    Case(
        "units:create",
        _unit,
        lambda obj: "/desk/units/new/",
        method="post",
        ok=UNIT_MANAGE,
        status=302,
        payload=lambda obj: {"name": "新单位", "unit_type": "social_work_dept", "division": obj.division_id},
        out_status=200,  # the form answers "no such division in your jurisdiction" and writes nothing
        watch=WATCH_UNITS,
    ),
    Case(
        "units:edit",
        _unit,
        lambda obj: f"/desk/units/{obj.pk}/edit/",
        ok=UNIT_MANAGE,
        per_role=dict.fromkeys(frozenset(DIVISION_VIEW) - UNIT_VIEW, 403),
    ),
    Case(
        "units:edit",
        _unit,
        lambda obj: f"/desk/units/{obj.pk}/edit/",
        method="post",
        ok=UNIT_MANAGE,
        status=302,
        payload=_unit_form,
        watch=WATCH_UNITS,
    ),
    Case("units:deactivate", _unit, lambda obj: f"/desk/units/{obj.pk}/deactivate/", ok=UNIT_MANAGE),
    Case(
        "units:deactivate",
        _unit,
        lambda obj: f"/desk/units/{obj.pk}/deactivate/",
        method="post",
        ok=UNIT_MANAGE,
        status=302,
        watch=WATCH_UNITS,
    ),
    Case("units:divisions", _division, lambda obj: "/desk/units/divisions/", ok=DIVISION_VIEW, listing=True),
    Case("units:division", _division, lambda obj: f"/desk/units/divisions/{obj.code}/", ok=DIVISION_VIEW),
    # --- API ---
    Case("GET /api/v1/divisions", _division, lambda obj: "/api/v1/divisions", ok=DIVISION_VIEW, listing=True),
    Case(
        "GET /api/v1/divisions",
        _division,
        lambda obj: f"/api/v1/divisions?parent={obj.parent_id}",
        ok=DIVISION_VIEW,
        label="children",
    ),
    Case(
        "GET /api/v1/divisions/{code}",
        _division,
        lambda obj: f"/api/v1/divisions/{obj.code}",
        ok=DIVISION_VIEW,
    ),
    Case("GET /api/v1/units", _unit, lambda obj: "/api/v1/units", ok=UNIT_VIEW, listing=True),
    Case(
        "GET /api/v1/units",
        _unit,
        lambda obj: f"/api/v1/units?q={obj.name[:8]}",
        ok=UNIT_VIEW,
        listing=True,
        label="search",
    ),
    Case(
        "GET /api/v1/units",
        _unit,
        lambda obj: f"/api/v1/units?division={obj.division_id}",
        ok=UNIT_VIEW,
        out_status=200,
        label="division filter",
    ),
    Case("GET /api/v1/units/{unit_id}", _unit, lambda obj: f"/api/v1/units/{obj.pk}", ok=UNIT_VIEW),
    Case(
        "POST /api/v1/units",
        _unit,
        lambda obj: "/api/v1/units",
        method="post",
        ok=UNIT_MANAGE,
        status=201,
        payload=lambda obj: {"name": "新单位", "unit_type": "social_work_dept", "division": obj.division_id},
        out_status=422,
        watch=WATCH_UNITS,
    ),
    Case(
        "PATCH /api/v1/units/{unit_id}",
        _unit,
        lambda obj: f"/api/v1/units/{obj.pk}",
        method="patch",
        ok=UNIT_MANAGE,
        payload=lambda obj: {"name": "改名单位"},
        watch=WATCH_UNITS,
    ),
    Case(
        "POST /api/v1/units/{unit_id}/deactivate",
        _unit,
        lambda obj: f"/api/v1/units/{obj.pk}/deactivate",
        method="post",
        ok=UNIT_MANAGE,
        watch=WATCH_UNITS,
    ),
)
