"""Who may open the appeals desk and which appeal a URL names.

Every appeal is read through `appeals_visible_to` (a handler sees only their unit's appeals), so an appeal
outside the user's scope is a 404; holding the view permission nowhere is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Appeal
from shegong.appeals.selectors import appeals_visible_to
from shegong.appeals.services.common import require_handler
from shegong.core.forms import prefix_in_scope
from shegong.core.scoping import has_perm_on, prefixes_for, require_any_scope
from shegong.divisions import codes
from shegong.divisions.selectors import pad_code

# The tracking number's alphabet (appeals.tracking.ALPHABET: 2-9 and A-Z without I and O), grouped in threes.
_SYMBOL = "[2-9A-HJ-NP-Z]"
TRACKING_NO_RE = rf"{_SYMBOL}{{3}}-{_SYMBOL}{{3}}-{_SYMBOL}{{3}}"

View = Callable[..., HttpResponseBase]


def perm_required(perm: str) -> Callable[[View], View]:
    """Logged in (else the login page) and holding `perm` somewhere (else 403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            require_any_scope(request.user, perm)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def appeal_or_404(request: HttpRequest, tracking_no: str) -> Appeal:
    """The appeal if the user may see it (a unit's handler: only their unit's), else 404."""
    appeal = appeals_visible_to(user=request.user).filter(tracking_no=tracking_no).first()
    if appeal is None:
        raise Http404
    return appeal


def subtree_in_scope_or_404(user: Any, perm: str, code: str) -> str:
    """The division prefix a list is narrowed to; a subtree wholly outside the user's scope is a 404 (as
    for the division browser), so a URL never tells whether such a division has appeals."""
    padded = pad_code(code)
    if not padded:
        return ""
    prefix = padded[: codes.level_of(padded)]
    if not prefix_in_scope(prefix, prefixes_for(user, perm)):
        raise Http404
    return prefix


def is_unit_handler(user: Any, appeal: Appeal) -> bool:
    """The user handles appeals for the appeal's unit (same rule the handling services apply)."""
    try:
        require_handler(user, appeal)
    except PermissionDenied:
        return False
    return True


def may_see_identity(user: Any, appeal: Appeal) -> bool:
    """An anonymous appeal hides the worker's phone from everyone but intake (who may need to call back)."""
    return not appeal.anonymous or has_perm_on(user, AppealsPerm.INTAKE, appeal)
