"""Pages of the duplicate finder (shegong.smart.duplicates).

- `h5_hint`: while a worker types on the filing form, htmx asks whether similar open appeals exist nearby;
  the answer is one fixed sentence or nothing — never a count, a text or a number of another appeal, since
  the worker has no right to see other people's appeals. Without JavaScript the form simply shows no hint.
- `desk_duplicates`: intake's list of possible duplicates of one appeal, among the appeals the user sees,
  each with a one-click merge that posts to the desk's own merge action (with its confirmation, version
  check and audit). Loaded into the detail page by htmx; without JavaScript it is a page of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.desk import actions
from shegong.appeals.desk.access import appeal_or_404, perm_required
from shegong.appeals.models import TEXT_MAX, Category
from shegong.core import ratelimit
from shegong.core.middleware import client_ip
from shegong.core.scoping import has_perm_on
from shegong.smart.duplicates import Probe, Rules, duplicates_for, similar_exists
from shegong.stations.geo import validate_point

# The hint runs a search per pause in typing; a worker writing one appeal pauses a few dozen times. Past
# this many per address and window the hint stays silent (it is a convenience, never in the way).
HINTS_PER_ADDRESS = 120
HINT_WINDOW_SECONDS = 600
# The place picker's selects, most precise first.
_PLACE_FIELDS = ("community", "street", "district")
_CODE = re.compile(r"^[0-9]{12}$")


def _category(value: str) -> Category | None:
    if not value.isdigit():
        return None
    return Category.objects.filter(pk=int(value), is_active=True).first()


def probe_from(data: Mapping[str, str]) -> Probe | None:
    """What the filing form holds so far; None when there is no text or no place to compare with. Values a
    browser could not have sent (bad codes, coordinates outside China) are ignored, not refused."""
    text = (data.get("text") or "")[:TEXT_MAX]
    code = next((c for f in _PLACE_FIELDS if _CODE.match(c := (data.get(f) or "").strip())), "")
    lat = lng = None
    if data.get("lat") and data.get("lng"):
        try:
            lat, lng = validate_point(data["lat"], data["lng"])
        except ValidationError:
            lat = lng = None
    if not text.strip() or (not code and lat is None):
        return None
    return Probe(
        text=text, division_code=code, category=_category(data.get("category") or ""), lat=lat, lng=lng
    )


@never_cache
@require_POST
def h5_hint(request: HttpRequest) -> HttpResponse:
    """The filing form's hint (see the module docstring): a fixed sentence when similar appeals exist.
    A POST (CSRF-checked): what the worker is typing may hold names or numbers and must not end up in URLs
    and access logs."""
    probe = probe_from(request.POST)
    similar = False
    if probe is not None:
        key = f"smart-dup-hint-ip:{client_ip(request) or 'unknown'}"
        if ratelimit.hit(key, limit=HINTS_PER_ADDRESS, window=HINT_WINDOW_SECONDS).allowed:
            similar = similar_exists(probe)
    return render(request, "smart/_dup_hint.html", {"similar": similar})


@require_GET
@perm_required(AppealsPerm.INTAKE)
def desk_duplicates(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """Possible duplicates of one appeal: 404 when the appeal is out of sight, 403 without intake on it."""
    appeal = appeal_or_404(request, tracking_no)
    user = request.user
    if not has_perm_on(user, AppealsPerm.INTAKE, appeal):
        raise PermissionDenied
    merge = actions.ACTIONS["merge"]
    context = {
        "appeal": appeal,
        "matches": duplicates_for(appeal, user=user),
        "can_merge": merge in actions.available(user, appeal),
        "rules": Rules.from_settings(),
    }
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "smart/_dup_list.html" if partial else "smart/dup_page.html", context)
