"""Desk pages for units (单位) and the division browser.

Scope: every object is read through selectors, so an object outside the user's jurisdiction is a 404;
a visible object the user may not change is a 403; anonymous users are sent to the login page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.accounts.choices import AccountsPerm
from shegong.core.scoping import has_perm_on, require_any_scope
from shegong.divisions import selectors, services
from shegong.divisions.forms import UnitFilterForm, UnitForm
from shegong.divisions.models import Unit

PAGE_SIZE = 20


@require_GET
@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    require_any_scope(request.user, AccountsPerm.UNIT_VIEW)
    filters = UnitFilterForm(request.GET)
    params = filters.filters()
    units = selectors.units_visible_to(user=request.user, **params)
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "divisions/unit_list.html",
        {
            "filters": filters,
            "current_sort": params["ordering"],
            "page_obj": page,
            "is_filtered": any(request.GET.get(k) for k in ("q", "unit_type", "division", "status")),
            "can_manage": request.user.has_scope_perm(AccountsPerm.UNIT_MANAGE),  # type: ignore[union-attr]
        },
    )


@require_GET
@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get_visible(user=request.user, pk=pk)
    children = selectors.units_visible_to(user=request.user, ordering="name").filter(parent=unit)
    return render(
        request,
        "divisions/unit_detail.html",
        {
            "unit": unit,
            "children": children,
            "ancestors": selectors.division_ancestors(unit.division),
            "can_manage": has_perm_on(request.user, AccountsPerm.UNIT_MANAGE, unit),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    require_any_scope(request.user, AccountsPerm.UNIT_MANAGE)
    initial: dict[str, Any] = {}
    if code := request.GET.get("division", ""):
        initial["division"] = selectors.pad_code(code)
    form = UnitForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Unit “{name}” created.").format(name=unit.name))
            return redirect("units:detail", pk=unit.pk)
    return render(request, "divisions/unit_form.html", {"form": form, "unit": None})


@require_http_methods(["GET", "POST"])
@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = selectors.unit_get_visible(user=request.user, pk=pk, action_perm=AccountsPerm.UNIT_MANAGE)
    initial = {
        "name": unit.name,
        "unit_type": unit.unit_type,
        "division": unit.division_id,
        "parent": unit.parent_id,
        "uscc": unit.uscc,
        "contact_phone": unit.contact_phone,
    }
    form = UnitForm(
        request.POST or None, user=request.user, initial=initial, current_parent_id=unit.parent_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_update(actor=request.user, unit=unit, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Unit “{name}” saved.").format(name=unit.name))
            return redirect("units:detail", pk=unit.pk)
    return render(request, "divisions/unit_form.html", {"form": form, "unit": unit})


@require_http_methods(["GET", "POST"])
@login_required
def unit_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deactivates."""
    unit: Unit = selectors.unit_get_visible(user=request.user, pk=pk, action_perm=AccountsPerm.UNIT_MANAGE)
    if request.method == "POST":
        try:
            services.unit_deactivate(actor=request.user, unit=unit)
        except ValidationError as exc:
            # The row fails today's checks (kept from before a rule existed): say so instead of a 500.
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Unit “{name}” deactivated.").format(name=unit.name))
        return redirect("units:detail", pk=unit.pk)
    return render(request, "divisions/unit_confirm_deactivate.html", {"unit": unit})


@require_GET
@login_required
def division_browser(request: HttpRequest, code: str = "") -> HttpResponse:
    """The user's top-level divisions, or one division with its children, units and breadcrumbs."""
    require_any_scope(request.user, AccountsPerm.DIVISION_VIEW)
    division = selectors.division_get_visible(user=request.user, code=code) if code else None
    ancestors: list[dict[str, Any]] = []
    units = None
    if division is not None:
        ancestors = [
            {"division": a, "visible": selectors.can_see_division(user=request.user, division=a)}
            for a in selectors.division_ancestors(division)
        ]
        if request.user.has_scope_perm(AccountsPerm.UNIT_VIEW):  # type: ignore[union-attr]
            units = selectors.units_visible_to(user=request.user, ordering="name").filter(division=division)
    return render(
        request,
        "divisions/division_browser.html",
        {
            "division": division,
            "ancestors": ancestors,
            "children": selectors.division_children(user=request.user, parent=division),
            "units": units,
            "can_manage": division is not None
            and selectors.can_see_division(
                user=request.user, division=division, perm=AccountsPerm.UNIT_MANAGE
            ),
        },
    )
