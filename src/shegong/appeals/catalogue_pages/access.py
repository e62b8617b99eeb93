"""Who may open the catalogue pages. Everyone holding the catalogue permission somewhere may read them;
categories and time limits apply everywhere, so only a nationwide grant changes them (as in
appeals.catalogue); a dispatch rule is changed by whoever holds the permission over its division."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from shegong.appeals.choices import AppealsPerm
from shegong.core.scoping import prefixes_for, require_any_scope

PERM = AppealsPerm.MANAGE_CATALOGUE


def manager_prefixes(user: Any) -> list[str]:
    """The user's catalogue prefixes ('' = nationwide); 403 when they hold the permission nowhere."""
    return require_any_scope(user, PERM)


def is_nationwide(user: Any) -> bool:
    return "" in prefixes_for(user, PERM)


def require_nationwide(user: Any) -> None:
    if not is_nationwide(user):
        raise PermissionDenied
