"""Template context for every page: the desk chrome (sidebar, the user's roles, admin warnings).

Everything is computed lazily and at most once per request: a public H5 page that never touches `nav`
costs no query.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from django.http import HttpRequest

from shegong.accounts.choices import Role
from shegong.core.permissions import CorePerm
from shegong.web import nav

logger = logging.getLogger(__name__)


class Navigation:
    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    @property
    def _user(self) -> Any:
        return getattr(self._request, "user", None)

    @property
    def _signed_in(self) -> bool:
        return bool(self._user is not None and self._user.is_authenticated)

    @cached_property
    def sections(self) -> list[dict[str, Any]]:
        if not self._signed_in:
            return []
        return nav.sections_for(self._user, self._request.path)

    @cached_property
    def role_labels(self) -> list[str]:
        if not self._signed_in:
            return []
        return [role_label(value) for value in self._user.roles()]

    @cached_property
    def display_name(self) -> str:
        return str(self._user) if self._signed_in else ""

    @cached_property
    def calendar_warning(self) -> str:
        """Text warning calendar maintainers that a coming year has no holiday schedule (else empty)."""
        if not self._signed_in or not self._user.has_scope_perm(CorePerm.CALENDAR_MANAGE):
            return ""
        return calendar_warning()


def role_label(value: str) -> str:
    try:
        return str(Role(value).label)
    except ValueError:
        return value


def calendar_warning() -> str:
    # The warning is advisory: if the calendar cannot answer (its table missing, a bad row), the desk shows
    # no banner rather than an error page on every screen.
    try:
        from shegong.core.calendar import missing_years_warning

        return str(missing_years_warning() or "")
    except Exception:
        logger.exception("missing_years_warning() failed")
        return ""


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"nav": Navigation(request)}
