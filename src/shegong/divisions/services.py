"""Writes on units (单位). Every service checks that the actor holds UNIT_MANAGE over the division it writes
in — views and the API check too, but services are also called from other apps and commands, and the
check must not depend on the caller remembering it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shegong.accounts.choices import AccountsPerm
from shegong.core import audit
from shegong.core.scoping import covers, prefixes_for
from shegong.core.unset import UNSET, Unset
from shegong.divisions.audit_actions import DivisionsAction
from shegong.divisions.models import Division, Unit

# A parent chain longer than this is treated as a cycle (real hierarchies are a few levels deep).
MAX_PARENT_DEPTH = 32


def _require_manage(actor: Any, division_code: str) -> None:
    if not covers(prefixes_for(actor, AccountsPerm.UNIT_MANAGE), division_code):
        raise PermissionDenied


def _check_parent(*, actor: Any, unit: Unit, parent: Unit | None) -> None:
    if parent is None:
        return
    if not covers(prefixes_for(actor, AccountsPerm.UNIT_VIEW), parent.division_id):
        raise ValidationError({"parent": _("Choose a parent unit within your jurisdiction.")})
    # A deactivated unit takes no new work; it keeps the children it already has (unit_update only checks
    # a parent that changes).
    if not parent.is_active:
        raise ValidationError({"parent": _("Choose an active parent unit.")})
    node: Unit | None = parent
    for _depth in range(MAX_PARENT_DEPTH):
        if node is None:
            return
        if unit.pk is not None and node.pk == unit.pk:
            raise ValidationError(
                {"parent": _("A unit cannot be placed under itself or under one of its own units.")}
            )
        node = node.parent
    raise ValidationError({"parent": _("The chain of parent units is too long.")})


def _snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "name": unit.name,
        "unit_type": unit.unit_type,
        "division": unit.division_id,
        "parent": unit.parent_id,
        "uscc": unit.uscc,
        "contact_phone": unit.contact_phone,
        "is_active": unit.is_active,
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [before[key], after[key]] for key in after if before.get(key) != after[key]}


@transaction.atomic
def unit_create(
    *,
    actor: Any,
    name: str,
    unit_type: str,
    division: Division,
    parent: Unit | None = None,
    uscc: str = "",
    contact_phone: str = "",
) -> Unit:
    """Create a unit in `division`. PermissionDenied unless `actor` manages units there; ValidationError
    for bad input (USCC, duplicate name in the division, a parent outside the actor's view)."""
    _require_manage(actor, division.code)
    unit = Unit(
        name=name.strip(),
        unit_type=unit_type,
        division=division,
        parent=parent,
        uscc=uscc.strip(),
        contact_phone=contact_phone.strip(),
    )
    _check_parent(actor=actor, unit=unit, parent=parent)
    unit.full_clean()
    unit.save()
    audit.record(action=DivisionsAction.UNIT_CREATED, actor=actor, target=unit, changes=_snapshot(unit))
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: Any,
    unit: Unit,
    name: str | None = None,
    unit_type: str | None = None,
    division: Division | None = None,
    parent: Unit | Unset | None = UNSET,
    uscc: str | None = None,
    contact_phone: str | None = None,
) -> Unit:
    """Change the given fields of `unit` (arguments left out stay as they are; `parent=None` clears it).

    The actor must manage units in the unit's current division and, when moving it, in the new one.
    """
    locked = Unit.all_objects.select_for_update().get(pk=unit.pk)
    _require_manage(actor, locked.division_id)
    if division is not None and division.code != locked.division_id:
        _require_manage(actor, division.code)
    before = _snapshot(locked)
    if name is not None:
        locked.name = name.strip()
    if unit_type is not None:
        locked.unit_type = unit_type
    if division is not None:
        locked.division = division
    if not isinstance(parent, Unset):
        if parent is not None and parent.pk != before["parent"]:
            _check_parent(actor=actor, unit=locked, parent=parent)
        locked.parent = parent
    if uscc is not None:
        locked.uscc = uscc.strip()
    if contact_phone is not None:
        locked.contact_phone = contact_phone.strip()
    locked.full_clean()
    changes = _diff(before, _snapshot(locked))
    if changes:
        locked.save()
        audit.record(action=DivisionsAction.UNIT_UPDATED, actor=actor, target=locked, changes=changes)
    return locked


@transaction.atomic
def unit_deactivate(*, actor: Any, unit: Unit) -> Unit:
    """Mark `unit` inactive (it stays for history; records keep pointing at it). Deactivating an inactive
    unit changes nothing and writes no audit row."""
    locked = Unit.all_objects.select_for_update().get(pk=unit.pk)
    _require_manage(actor, locked.division_id)
    if not locked.is_active:
        return locked
    locked.is_active = False
    locked.full_clean()
    locked.save(update_fields=["is_active"])
    audit.record(
        action=DivisionsAction.UNIT_DEACTIVATED,
        actor=actor,
        target=locked,
        changes={"is_active": [True, False]},
    )
    return locked
