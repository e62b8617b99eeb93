"""JSON API: /api/v1/divisions (the code tree) and /api/v1/units (单位).

Reads go through selectors (out of scope → 404), writes through services (no UNIT_MANAGE → 403); bad
input comes back as the envelope's 422 with per-field messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from shegong.accounts.choices import AccountsPerm
from shegong.core.api import Page, paginate
from shegong.core.idempotency import run_idempotent
from shegong.core.scoping import require_any_scope
from shegong.divisions import codes, selectors, services
from shegong.divisions.choices import UnitType
from shegong.divisions.models import Division, Unit

router = Router(tags=["divisions"])
unit_router = Router(tags=["units"])


# --- schemas -----------------------------------------------------------------------------------------------
class DivisionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent: str | None
    is_demo: bool

    @staticmethod
    def from_division(division: Division) -> DivisionOut:
        return DivisionOut(
            code=division.code,
            name=division.name,
            level=division.level,
            level_label=str(division.get_level_display()),
            parent=division.parent_id,
            is_demo=division.is_demo,
        )


class UnitOut(Schema):
    id: int
    name: str
    unit_type: UnitType
    unit_type_label: str
    division: str
    division_name: str
    parent: int | None
    uscc: str
    contact_phone: str
    is_active: bool
    is_demo: bool
    created_at: datetime

    @staticmethod
    def from_unit(unit: Unit) -> UnitOut:
        return UnitOut(
            id=unit.pk,
            name=unit.name,
            unit_type=UnitType(unit.unit_type),
            unit_type_label=str(unit.get_unit_type_display()),
            division=unit.division_id,
            division_name=unit.division.name,
            parent=unit.parent_id,
            uscc=unit.uscc,
            contact_phone=unit.contact_phone,
            is_active=unit.is_active,
            is_demo=unit.is_demo,
            created_at=unit.created_at,
        )


class UnitIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    unit_type: UnitType
    division: str = Field(
        ..., description="12-digit division code (or its 2/4/6/9-digit prefix)", max_length=12
    )
    parent: int | None = None
    uscc: str = Field("", max_length=24)
    contact_phone: str = Field("", max_length=40)


class UnitPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    unit_type: UnitType | None = None
    division: str | None = Field(None, max_length=12)
    parent: int | None = None
    uscc: str | None = Field(None, max_length=24)
    contact_phone: str | None = Field(None, max_length=40)


class UnitFilters(Schema):
    q: str = Field("", description="part of the name, or a whole unified social credit code", max_length=100)
    unit_type: UnitType | None = None
    division: str = Field(
        "", description="division prefix (2/4/6/9/12 digits): that subtree only", max_length=12
    )
    is_active: bool | None = None
    ordering: str = Field(selectors.DEFAULT_UNIT_ORDERING, description=", ".join(selectors.UNIT_ORDERINGS))
    page: int = 1
    page_size: int = 50


# --- divisions ---------------------------------------------------------------------------------------------
@router.get("", response=list[DivisionOut], summary="Child divisions, or your top-level divisions")
def list_divisions(request: HttpRequest, parent: str = "") -> list[DivisionOut]:
    """Children of `?parent=CODE`, or without it the divisions your grants start at (provinces when
    nationwide). Only divisions inside your jurisdiction are listed."""
    require_any_scope(request.user, AccountsPerm.DIVISION_VIEW)
    node = selectors.division_get_visible(user=request.user, code=parent) if parent else None
    return [DivisionOut.from_division(d) for d in selectors.division_children(user=request.user, parent=node)]


@router.get("/{code}", response=DivisionOut, summary="One division")
def get_division(request: HttpRequest, code: str) -> DivisionOut:
    return DivisionOut.from_division(selectors.division_get_visible(user=request.user, code=code))


# --- units -------------------------------------------------------------------------------------------------
def _division_for_write(user: Any, code: str) -> Division:
    """The division a unit is written into; one the caller cannot see is reported as unknown (no leak)."""
    division = selectors.divisions_visible_to(user=user).filter(code=selectors.pad_code(code)).first()
    if division is None:
        raise ValidationError({"division": _("No such division in your jurisdiction.")})
    return division


def _parent_for_write(user: Any, parent_id: int | None) -> Unit | None:
    if parent_id is None:
        return None
    parent = selectors.units_visible_to(user=user).filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": _("No such unit in your jurisdiction.")})
    return parent


@unit_router.get("", response=Page[UnitOut], summary="Units in your jurisdiction")
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> dict[str, Any]:
    require_any_scope(request.user, AccountsPerm.UNIT_VIEW)
    try:
        prefix = codes.normalise_prefix(filters.division)
    except ValidationError as exc:
        raise ValidationError({"division": exc.messages}) from exc
    if filters.ordering not in selectors.UNIT_ORDERINGS:
        raise ValidationError(
            {
                "ordering": _("Unknown sort order; use one of {choices}.").format(
                    choices=", ".join(selectors.UNIT_ORDERINGS)
                )
            }
        )
    units = selectors.units_visible_to(
        user=request.user,
        q=filters.q,
        unit_type=filters.unit_type.value if filters.unit_type else "",
        division_prefix=prefix,
        is_active=filters.is_active,
        ordering=filters.ordering,
    )
    page = paginate(units, page=filters.page, page_size=filters.page_size)
    page["items"] = [UnitOut.from_unit(u) for u in page["items"]]
    return page


@unit_router.get("/{unit_id}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, unit_id: int) -> UnitOut:
    return UnitOut.from_unit(selectors.unit_get_visible(user=request.user, pk=unit_id))


@unit_router.post("", response={201: UnitOut}, summary="Create a unit")
def create_unit(request: HttpRequest, payload: UnitIn) -> Status[Any]:
    """With an `Idempotency-Key` header retries are safe: the same key and body return the first result."""
    require_any_scope(request.user, AccountsPerm.UNIT_MANAGE)

    def effect() -> tuple[int, Any]:
        unit = services.unit_create(
            actor=request.user,
            name=payload.name,
            unit_type=payload.unit_type.value,
            division=_division_for_write(request.user, payload.division),
            parent=_parent_for_write(request.user, payload.parent),
            uscc=payload.uscc,
            contact_phone=payload.contact_phone,
        )
        return 201, UnitOut.from_unit(unit).model_dump(mode="json")

    key = request.headers.get("Idempotency-Key")
    if key is None:
        return Status(*effect())
    result = run_idempotent(
        scope=f"divisions.unit.create:{request.user.pk}",
        key=key,
        payload=payload.model_dump(mode="json"),
        effect=effect,
    )
    return Status(result.status_code, result.body)


@unit_router.patch("/{unit_id}", response=UnitOut, summary="Change a unit")
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> UnitOut:
    """Only the fields sent are changed; `"parent": null` detaches the unit from its parent."""
    unit = selectors.unit_get_visible(user=request.user, pk=unit_id, action_perm=AccountsPerm.UNIT_MANAGE)
    sent = payload.model_fields_set
    changes: dict[str, Any] = {
        key: getattr(payload, key)
        for key in ("name", "uscc", "contact_phone")
        if key in sent and getattr(payload, key) is not None
    }
    if "unit_type" in sent and payload.unit_type is not None:
        changes["unit_type"] = payload.unit_type.value
    if "division" in sent and payload.division is not None:
        changes["division"] = _division_for_write(request.user, payload.division)
    if "parent" in sent:
        changes["parent"] = _parent_for_write(request.user, payload.parent)
    return UnitOut.from_unit(services.unit_update(actor=request.user, unit=unit, **changes))


@unit_router.post("/{unit_id}/deactivate", response=UnitOut, summary="Deactivate a unit")
def deactivate_unit(request: HttpRequest, unit_id: int) -> UnitOut:
    unit = selectors.unit_get_visible(user=request.user, pk=unit_id, action_perm=AccountsPerm.UNIT_MANAGE)
    return UnitOut.from_unit(services.unit_deactivate(actor=request.user, unit=unit))
