"""Who may open the page shells: staff roles for the desk, DASHBOARD_VIEW for the cockpit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from shegong.accounts.choices import STAFF_ROLES, AccountsPerm

View = Callable[..., HttpResponse]


def is_staff_member(user: Any) -> bool:
    """True when the user holds at least one active staff (desk) role somewhere."""
    return bool(user.is_authenticated and set(user.roles()) & {str(r) for r in STAFF_ROLES})


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_scope_perm(AccountsPerm.DASHBOARD_VIEW))


def _requires(test: Callable[[Any], bool]) -> Callable[[View], View]:
    """login_required (anonymous → login page), then `test` (failing → 403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


staff_required = _requires(is_staff_member)
dashboard_required = _requires(can_view_dashboard)
