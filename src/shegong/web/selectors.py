"""Scoped counts for the landing pages and the dashboard. Every number covers only the user's grants."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from shegong.accounts.choices import STAFF_ROLES
from shegong.accounts.models import User
from shegong.divisions import selectors as divisions_selectors
from shegong.divisions.models import Unit
from shegong.divisions.selectors import divisions_visible_to

__all__ = ["divisions_visible_to", "staff_accounts_visible_to", "units_by_type", "units_visible_to"]


def units_visible_to(*, user: Any, perm: str) -> QuerySet[Unit]:
    """Active units in scope, unordered (counts only)."""
    return divisions_selectors.units_visible_to(user=user, perm=perm, is_active=True).order_by()


def staff_accounts_visible_to(*, user: Any, perm: str) -> QuerySet[User]:
    """Active accounts managed in the user's scope that hold at least one active staff role."""
    staff = [str(role) for role in STAFF_ROLES]
    ids = (
        User.scoped.visible_to(user, perm)
        .filter(is_active=True, grants__is_active=True, grants__role__in=staff)
        .values("pk")
    )
    return User.objects.filter(pk__in=ids)


def units_by_type(*, user: Any, perm: str) -> list[tuple[str, int]]:
    """(unit type value, active unit count) in the user's scope, largest first."""
    rows = units_visible_to(user=user, perm=perm).values("unit_type").annotate(n=Count("pk")).order_by("-n")
    return [(row["unit_type"], row["n"]) for row in rows]
