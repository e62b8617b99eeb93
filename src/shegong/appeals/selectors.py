"""Scoped reads of appeals."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core import permissions
from shegong.core.scoping import ScopedQuerySet, division_q


def _grant_q(user: Any, perm: str) -> Q:
    """Per grant holding `perm`: its division subtree, narrowed to the grant's unit for handler roles (a
    role that handles but does not dispatch sees only its own unit's appeals)."""
    nothing = Q(pk__in=[])
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    q = nothing
    for grant in user.active_grants():
        role_perms = permissions.perms_of_role(grant.role)
        if perm not in role_perms:
            continue
        part = division_q("division_id", [grant.prefix])
        if AppealsPerm.HANDLE in role_perms and AppealsPerm.DISPATCH not in role_perms:
            part = Q(unit_id=grant.unit_id) & part if grant.unit_id else nothing
        if not part:
            return Q()  # a nationwide grant without a unit: everything (an empty Q would vanish in |)
        q |= part
    return q


def appeals_visible_to(
    *,
    user: Any,
    perm: str = AppealsPerm.VIEW,
    states: list[str] | None = None,
    unit_id: int | None = None,
    category_id: int | None = None,
    urgency: str | None = None,
    division_prefix: str | None = None,
) -> ScopedQuerySet[Appeal]:
    """Appeals `user` may see under `perm`, optionally filtered; a unit's handler sees its unit's only."""
    qs = Appeal.objects.visible_to(user, perm).filter(_grant_q(user, perm))
    if states:
        qs = qs.filter(state__in=states)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if category_id is not None:
        qs = qs.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    if urgency:
        qs = qs.filter(urgency=urgency)
    if division_prefix:
        qs = qs.in_subtree(division_prefix)
    return qs.select_related("category", "unit", "division")


def appeals_filed_by(*, user: Any) -> ScopedQuerySet[Appeal]:
    """Appeals a platform enterprise's API account filed, inside the divisions where it still holds the
    file permission (a partner sees its own filings, never other appeals of the division)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Appeal.objects.visible_to(None, AppealsPerm.FILE)  # nothing
    qs = Appeal.objects.visible_to(user, AppealsPerm.FILE).filter(filed_by=user)
    return qs.select_related("category", "unit", "division")


def appeal_timeline(*, appeal: Appeal, public_only: bool = False) -> list[AppealEvent]:
    """The appeal's events in order; `public_only` for the worker's view."""
    qs = appeal.events.select_related("actor")
    if public_only:
        qs = qs.filter(public=True)
    return list(qs)
