"""The pages this app owns: home, the role landing redirect, the desk/H5/dashboard home pages, /healthz."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shegong.accounts.choices import AccountsPerm, Role
from shegong.divisions.choices import UnitType
from shegong.web import cards, dashboard, h5, nav, selectors
from shegong.web.access import dashboard_required, is_staff_member, staff_required
from shegong.web.context_processors import role_label

# The role a multi-role user's workbench is named after: the most specific desk job first.
_ROLE_PRIORITY = [
    Role.PLATFORM_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDITOR,
    Role.INTAKE,
    Role.HANDLER,
    Role.SOCIAL_WORKER,
    Role.LEADER,
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Send a user who just logged in to the page their role works on."""
    roles = set(request.user.roles())  # type: ignore[union-attr]
    if Role.LEADER in roles and request.user.has_scope_perm(AccountsPerm.DASHBOARD_VIEW):  # type: ignore[union-attr]
        return redirect("dashboard:home")
    if is_staff_member(request.user):
        return redirect("desk:home")
    return redirect("h5:home")


def _primary_role(roles: list[str]) -> str:
    for role in _ROLE_PRIORITY:
        if role in roles:
            return str(role)
    return roles[0]


def _scope_counts(user: Any) -> list[dict[str, Any]]:
    """Overview numbers the user may see, each covering only their own jurisdiction."""
    counts = []
    if user.has_scope_perm(AccountsPerm.DIVISION_VIEW):
        n = selectors.divisions_visible_to(user=user, perm=AccountsPerm.DIVISION_VIEW).count()
        counts.append({"key": "divisions", "label": _("Divisions"), "value": n})
    if user.has_scope_perm(AccountsPerm.UNIT_VIEW):
        n = selectors.units_visible_to(user=user, perm=AccountsPerm.UNIT_VIEW).count()
        counts.append({"key": "units", "label": _("Units"), "value": n})
    if user.has_scope_perm(AccountsPerm.USER_VIEW):
        n = selectors.staff_accounts_visible_to(user=user, perm=AccountsPerm.USER_VIEW).count()
        counts.append({"key": "staff", "label": _("Staff accounts"), "value": n})
    return counts


def _jurisdictions(user: Any) -> list[str]:
    names = {g.division.name if g.division_id else _("Nationwide") for g in user.active_grants()}
    return sorted(str(n) for n in names)


@staff_required
def desk_home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    roles = user.roles()
    primary = _primary_role(roles)
    entry_cards = [
        {**item, "count": cards.count_for(item["url_name"], user)}
        for item in nav.items_for(user)
        if item["url_name"] != "desk:home"
    ]
    context = {
        "primary_role": primary,
        "primary_role_label": role_label(primary),
        "other_role_labels": [role_label(r) for r in roles if r != primary],
        "jurisdictions": _jurisdictions(user),
        "scope_counts": _scope_counts(user),
        "entry_cards": entry_cards,
    }
    return render(request, "desk/home.html", context)


def h5_home(request: HttpRequest) -> HttpResponse:
    return render(request, "h5/home.html", {"tiles": h5.tiles()})


def _unit_type_label(value: str) -> str:
    try:
        return str(UnitType(value).label)
    except ValueError:
        return value


@dashboard_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    perm = AccountsPerm.DASHBOARD_VIEW  # the dashboard covers the area the user holds it for
    by_type = [(_unit_type_label(t), n) for t, n in selectors.units_by_type(user=user, perm=perm)]
    divisions = selectors.divisions_visible_to(user=user, perm=perm).count()
    staff = selectors.staff_accounts_visible_to(user=user, perm=perm).count()
    kpis = [
        {"key": "divisions", "label": _("Divisions"), "value": divisions},
        {"key": "units", "label": _("Units"), "value": sum(n for _t, n in by_type)},
        {"key": "staff", "label": _("Staff accounts"), "value": staff},
    ]
    chart = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 24, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": [label for label, _n in by_type]},
        "series": [{"name": _("Units"), "type": "bar", "data": [n for _label, n in by_type]}],
    }
    context = {
        "kpis": kpis,
        "units_by_type": by_type,
        "units_chart": chart,
        "jurisdictions": _jurisdictions(user),
        "show_desk_link": is_staff_member(user),
        "blocks": dashboard.blocks_for(user),  # modules' cards (web.dashboard)
    }
    return render(request, "dashboard/home.html", context)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico before reading <link rel="icon">; answer instead of logging a 404.
    return redirect(static("shegong/favicon.svg"))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers; public, answers nothing about the data."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
