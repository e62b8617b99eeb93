"""Scoped reads of divisions and units. Every page and API endpoint of the app reads through here."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from shegong.accounts.choices import AccountsPerm
from shegong.core.scoping import (
    covers,
    division_q,
    get_visible_or_404,
    minimal_prefixes,
    prefixes_for,
    require_any_scope,
)
from shegong.divisions import codes
from shegong.divisions.models import Division, Unit

# Whitelisted sort keys for unit lists (query parameter value → ORDER BY).
UNIT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "division": ("division_id", "name", "pk"),
    "-division": ("-division_id", "name", "pk"),
    "type": ("unit_type", "name", "pk"),
    "-type": ("-unit_type", "name", "pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}
DEFAULT_UNIT_ORDERING = "division"


# --- divisions ---------------------------------------------------------------------------------------------
def divisions_visible_to(*, user: Any, perm: str = AccountsPerm.DIVISION_VIEW) -> QuerySet[Division]:
    """Divisions inside the subtrees where `user` holds `perm` (a grant on 皇姑区 sees 皇姑区 and below)."""
    return Division.objects.filter(division_q("code", prefixes_for(user, perm)))


def division_get_visible(*, user: Any, code: str, perm: str = AccountsPerm.DIVISION_VIEW) -> Division:
    """One division by its 12-digit code or its prefix; Http404 when malformed, unknown or out of scope
    (PermissionDenied when the user holds `perm` nowhere)."""
    require_any_scope(user, perm)
    division = divisions_visible_to(user=user, perm=perm).filter(code=pad_code(code)).first()
    if division is None:
        raise Http404
    return division


def pad_code(value: str) -> str:
    """A code or prefix as typed (210105, 210105001) as a 12-digit code; '' when it cannot be one."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) not in codes.PREFIX_LENGTHS:
        return ""
    return value.ljust(12, "0")


def division_roots(*, user: Any, perm: str = AccountsPerm.DIVISION_VIEW) -> QuerySet[Division]:
    """The top of what `user` may see: the divisions of their grants (provinces for a nationwide grant)."""
    prefixes = prefixes_for(user, perm)
    if "" in prefixes:
        return Division.objects.filter(parent__isnull=True)
    # A grant on 沈阳市 already shows 皇姑区 below it: keep only the prefixes no other prefix covers.
    return Division.objects.filter(code__in=[p.ljust(12, "0") for p in minimal_prefixes(prefixes)])


def division_children(
    *, user: Any, parent: Division | None, perm: str = AccountsPerm.DIVISION_VIEW
) -> QuerySet[Division]:
    """The children of `parent` that `user` may see (their top-level divisions when `parent` is None),
    each annotated with `child_count`."""
    if parent is None:
        qs = division_roots(user=user, perm=perm)
    else:
        qs = divisions_visible_to(user=user, perm=perm).filter(parent=parent)
    return qs.annotate(child_count=Count("children")).order_by("code")


def division_ancestors(division: Division) -> list[Division]:
    """Province → … → parent of `division`, from its code's prefixes (one query, no walking up the FK)."""
    codes_above: list[str] = []
    code: str | None = codes.parent_code(division.code)
    while code is not None:
        codes_above.append(code)
        code = codes.parent_code(code)
    return list(Division.objects.filter(code__in=codes_above).order_by("level"))


def can_see_division(*, user: Any, division: Division, perm: str = AccountsPerm.DIVISION_VIEW) -> bool:
    return covers(prefixes_for(user, perm), division.code)


def divisions_managed_by(*, user: Any) -> QuerySet[Division]:
    """Divisions where `user` may create and edit units: the choices of a unit form's division picker."""
    return divisions_visible_to(user=user, perm=AccountsPerm.UNIT_MANAGE)


# --- units -------------------------------------------------------------------------------------------------
def units_visible_to(
    *,
    user: Any,
    perm: str = AccountsPerm.UNIT_VIEW,
    q: str = "",
    unit_type: str = "",
    division_prefix: str = "",
    is_active: bool | None = None,
    ordering: str = DEFAULT_UNIT_ORDERING,
) -> QuerySet[Unit]:
    """Units `user` may see under `perm`, filtered: `q` matches the name or the USCC, `division_prefix`
    (2/4/6/9/12 digits) keeps one subtree. Unknown sort keys fall back to the default order."""
    qs = Unit.objects.visible_to(user, perm).select_related("division")
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(uscc__iexact=q.upper()))
    if unit_type:
        qs = qs.filter(unit_type=unit_type)
    if division_prefix:
        qs = qs.in_subtree(division_prefix)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs.order_by(*UNIT_ORDERINGS.get(ordering, UNIT_ORDERINGS[DEFAULT_UNIT_ORDERING]))


def unit_get_visible(
    *, user: Any, pk: Any, perm: str = AccountsPerm.UNIT_VIEW, action_perm: str | None = None
) -> Unit:
    """One unit: Http404 when out of `user`'s scope, PermissionDenied when `action_perm` is lacking."""
    require_any_scope(user, perm)  # holding the permission nowhere is a 403, not a misleading 404
    unit: Unit = get_visible_or_404(Unit, user=user, perm=perm, action_perm=action_perm, pk=pk)
    return unit


def unit_parent_choices(*, user: Any, keep_id: int | None = None) -> QuerySet[Unit]:
    """Units that may be named as a parent unit: active ones the user can see, plus `keep_id` (a unit's
    current parent, which stays selectable after being deactivated) if the user can see it."""
    active = Q(is_active=True) if keep_id is None else Q(is_active=True) | Q(pk=keep_id)
    return Unit.objects.visible_to(user, AccountsPerm.UNIT_VIEW).filter(active)
