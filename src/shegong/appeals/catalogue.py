"""Services for the editable reference data: second-level categories, time limits and the dispatch catalogue
(派单目录). Categories and time limits apply everywhere, so they need the catalogue permission nationwide; a
dispatch rule needs it over the rule's division."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Category, DispatchRule, TimeLimit
from shegong.core import audit
from shegong.core.scoping import covers, prefixes_for
from shegong.core.unset import UNSET, Unset
from shegong.divisions.models import Division, Unit


def _require_nationwide(actor: Any) -> None:
    if "" not in prefixes_for(actor, AppealsPerm.MANAGE_CATALOGUE):
        raise PermissionDenied


@transaction.atomic
def category_create(
    *, actor: Any, parent: Category, code: str, name: str, scope: str = "", default_unit_type: str = ""
) -> Category:
    """Add a second-level category under a first-level one."""
    _require_nationwide(actor)
    if parent.parent_id is not None:
        raise ValidationError({"parent": gettext("Categories have two levels; choose a first-level one.")})
    category = Category(
        parent=parent,
        code=(code or "").strip().upper(),
        name=(name or "").strip(),
        scope=(scope or "").strip(),
        default_unit_type=default_unit_type or parent.default_unit_type,
        order=parent.children.count() * 10 + 10,
    )
    category.full_clean()
    category.save()
    audit.record(
        action=AppealsAction.CATEGORY_CREATED, actor=actor, target=category, changes={"code": category.code}
    )
    return category


@transaction.atomic
def category_update(
    *,
    actor: Any,
    category: Category,
    name: str | Unset = UNSET,
    scope: str | Unset = UNSET,
    default_unit_type: str | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> Category:
    """Rename, describe, change the default unit type, or retire a category (appeals keep it)."""
    _require_nationwide(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    changes: dict[str, Any] = {}
    for field, value in (
        ("name", name),
        ("scope", scope),
        ("default_unit_type", default_unit_type),
        ("is_active", is_active),
    ):
        if not isinstance(value, Unset) and getattr(category, field) != value:
            changes[field] = [getattr(category, field), value]
            setattr(category, field, value)
    category.full_clean()
    category.save()
    audit.record(action=AppealsAction.CATEGORY_UPDATED, actor=actor, target=category, changes=changes)
    return category


@transaction.atomic
def time_limit_set(
    *, actor: Any, category: Category | None, urgency: str, clock: str, amount: int, unit: str
) -> TimeLimit:
    """Set one clock's limit for a category (None: the default). Appeals already running keep the
    deadlines computed when their clock started."""
    _require_nationwide(actor)
    # order_by("pk"): the default ordering joins Category, which FOR UPDATE refuses on PostgreSQL
    row = (
        TimeLimit.objects.select_for_update()
        .filter(category=category, urgency=urgency, clock=clock)
        .order_by("pk")
        .first()
    )
    before = (row.amount, row.unit) if row else None
    row = row or TimeLimit(category=category, urgency=urgency, clock=clock)
    row.amount, row.unit = amount, unit
    row.full_clean()
    row.save()
    audit.record(
        action=AppealsAction.TIME_LIMIT_SET,
        actor=actor,
        target=row,
        changes={"before": before, "after": [amount, unit]},
    )
    return row


@transaction.atomic
def dispatch_rule_set(
    *, actor: Any, division: Division | None, category: Category | None, unit: Unit
) -> DispatchRule:
    """Point (division subtree × category) at `unit`; the rule it replaces is kept, inactive, for history."""
    prefixes = prefixes_for(actor, AppealsPerm.MANAGE_CATALOGUE)
    if not covers(prefixes, division.code if division is not None else None):
        raise PermissionDenied
    if not unit.is_active:
        raise ValidationError({"unit": gettext("This unit is no longer active.")})
    previous = list(
        DispatchRule.objects.select_for_update()
        .filter(division=division, category=category, is_active=True)
        .order_by("pk")
    )
    for old in previous:
        old.is_active = False
        old.save(update_fields=["is_active"])
    rule = DispatchRule(division=division, category=category, unit=unit)
    rule.full_clean()
    rule.save()
    audit.record(
        action=AppealsAction.DISPATCH_RULE_SET,
        actor=actor,
        target=rule,
        division_code=division.code if division is not None else "",
        changes={"before": [r.unit_id for r in previous], "unit": unit.pk},
    )
    return rule
