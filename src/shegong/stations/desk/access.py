"""Who may open the stations desk and which station a URL names.

Stations are read through `selectors.stations_visible_to` (the view permission over the station's
division): outside the user's jurisdiction a station is a 404; holding the view permission nowhere is a
403; changing a station needs the manage permission over its division (else 403).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from shegong.core.forms import prefix_in_scope
from shegong.core.scoping import has_perm_on, prefixes_for, require_any_scope
from shegong.divisions import codes
from shegong.divisions.selectors import pad_code
from shegong.stations import selectors
from shegong.stations.choices import StationsPerm
from shegong.stations.models import Station

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


def station_or_404(request: HttpRequest, station_id: int) -> Station:
    """The station if the user may see it, else 404."""
    station = selectors.stations_visible_to(user=request.user).filter(pk=station_id).first()
    if station is None:
        raise Http404
    return station


def may_manage(user: Any, station: Station) -> bool:
    return has_perm_on(user, StationsPerm.MANAGE, station)


def managed_station_or_404(request: HttpRequest, station_id: int) -> Station:
    """The station if the user may see it (else 404) and manage it (else 403)."""
    station = station_or_404(request, station_id)
    if not may_manage(request.user, station):
        raise PermissionDenied
    return station


def subtree_in_scope_or_404(user: Any, code: str, perm: str = StationsPerm.VIEW) -> str:
    """The division prefix a list is narrowed to; a subtree wholly outside the user's scope is a 404, so a
    URL never tells whether such a division has stations."""
    padded = pad_code(code)
    if not padded:
        return ""
    prefix = padded[: codes.level_of(padded)]
    if not prefix_in_scope(prefix, prefixes_for(user, perm)):
        raise Http404
    return prefix
