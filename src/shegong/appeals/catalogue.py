"""Services for the editable reference data: second-level categories, time limits and the dispatch catalogue
(派单目录). Categories and time limits apply everywhere, so they need the catalogue permission nationwide; a
dispatch rule needs it over the rule's division."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Category, DispatchRule, TimeLimit
from shegong.core import audit
from shegong.core.api import ConflictError
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
def category_retire(*, actor: Any, category: Category) -> Category:
    """Retire a category (refused for new appeals; existing appeals keep it). Retiring a first-level
    category retires its active second-level categories too, each with its own audit row."""
    _require_nationwide(actor)
    children = Category.objects.select_for_update().filter(parent=category, is_active=True).order_by("pk")
    for child in children:
        category_update(actor=actor, category=child, is_active=False)
    return category_update(actor=actor, category=category, is_active=False)


@transaction.atomic
def category_reactivate(*, actor: Any, category: Category) -> Category:
    """Bring a retired category back; a second-level one only while its first-level category is active.
    Children retired with their parent stay retired until reactivated one by one."""
    _require_nationwide(actor)
    if (
        category.parent_id is not None
        and not Category.objects.filter(pk=category.parent_id, is_active=True).exists()
    ):
        raise ValidationError(gettext("Reactivate its first-level category first."))
    return category_update(actor=actor, category=category, is_active=True)


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
def time_limit_reset(*, actor: Any, category: Category | None, urgency: str, clock: str) -> bool:
    """Delete a category's own limit for one clock so that its parent's (or the default) applies again.
    The default rows cannot be reset, only changed. Returns False (and writes nothing) when there was no
    own limit."""
    _require_nationwide(actor)
    if category is None:
        raise ValidationError(gettext("The default time limits cannot be reset, only changed."))
    row = (
        TimeLimit.objects.select_for_update()
        .filter(category=category, urgency=urgency, clock=clock)
        .order_by("pk")
        .first()
    )
    if row is None:
        return False
    audit.record(
        action=AppealsAction.TIME_LIMIT_RESET,
        actor=actor,
        target=row,
        changes={"before": [row.amount, row.unit]},
    )
    row.delete()
    return True


def _require_over(actor: Any, division: Division | None) -> None:
    prefixes = prefixes_for(actor, AppealsPerm.MANAGE_CATALOGUE)
    if not covers(prefixes, division.code if division is not None else None):
        raise PermissionDenied


def _catalogue_changed() -> ConflictError:
    return ConflictError(
        gettext("The dispatch catalogue has changed in the meantime. Reload the page and try again.")
    )


@transaction.atomic
def dispatch_rule_set(
    *,
    actor: Any,
    division: Division | None,
    category: Category | None,
    unit: Unit,
    replaces: DispatchRule | Unset | None = UNSET,
) -> DispatchRule:
    """Point (division subtree × category) at `unit`; the rule it replaces is kept, inactive, for history.

    The unit must lie on the rule's line of the tree: inside its division subtree, or at a level above it
    (a street's wage appeals go to the district's labour inspection); a nationwide rule may name any unit.
    `replaces` says what the caller saw: None ("add", refused when an active rule exists) or the rule being
    replaced (a ConflictError when someone else changed it meanwhile); left out, any active rule goes."""
    _require_over(actor, division)
    if not unit.is_active:
        raise ValidationError({"unit": gettext("This unit is no longer active.")})
    if division is not None and not (
        unit.division_id.startswith(division.prefix) or division.code.startswith(unit.division.prefix)
    ):
        raise ValidationError(
            {"unit": gettext("Choose a unit within the rule's division ({name}).").format(name=division.name)}
        )
    previous = list(
        DispatchRule.objects.select_for_update()
        .filter(division=division, category=category, is_active=True)
        .order_by("pk")
    )
    if not isinstance(replaces, Unset):
        if replaces is None and previous:
            raise ValidationError(
                gettext(
                    "An active rule for this division and category already exists; "
                    "use “Replace” on it in the dispatch catalogue."
                ),
                code="duplicate",
            )
        if replaces is not None and [r.pk for r in previous] != [replaces.pk]:
            raise _catalogue_changed()
    if any(old.unit_id == unit.pk for old in previous):
        raise ValidationError({"unit": gettext("The rule already sends appeals to this unit.")})
    for old in previous:
        old.is_active = False
        old.save(update_fields=["is_active"])
    rule = DispatchRule(division=division, category=category, unit=unit)
    rule.full_clean()
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        # another admin added the same active rule between our check and our insert
        raise _catalogue_changed() from exc
    audit.record(
        action=AppealsAction.DISPATCH_RULE_SET,
        actor=actor,
        target=rule,
        division_code=division.code if division is not None else "",
        changes={"before": [r.unit_id for r in previous], "unit": unit.pk},
    )
    return rule


@transaction.atomic
def dispatch_rule_deactivate(*, actor: Any, rule: DispatchRule) -> DispatchRule:
    """Take a rule out of the catalogue without a replacement: appeals it covered go by the next most
    specific rule, or to the dispatcher's choice when none is left."""
    _require_over(actor, rule.division)
    # order_by(): the default ordering joins Division and Category, which FOR UPDATE refuses on PostgreSQL
    locked = DispatchRule.objects.select_for_update().filter(pk=rule.pk).order_by().first()
    if locked is None or not locked.is_active:
        raise _catalogue_changed()
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    audit.record(
        action=AppealsAction.DISPATCH_RULE_DEACTIVATED,
        actor=actor,
        target=locked,
        division_code=locked.division_id or "",
        changes={"unit": locked.unit_id, "category": locked.category_id},
    )
    return locked
