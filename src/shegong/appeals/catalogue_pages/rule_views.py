"""Desk pages for the dispatch catalogue (派单目录): the rule list, adding a rule, replacing a rule's unit,
deactivating a rule, the "where would it go?" preview, and the two htmx pickers. A rule outside the
user's catalogue scope is a 404; holding the permission nowhere is a 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals import catalogue
from shegong.appeals.catalogue_pages import selectors
from shegong.appeals.catalogue_pages.access import manager_prefixes
from shegong.appeals.catalogue_pages.rule_forms import (
    DIVISION_OPTIONS_ID,
    PreviewForm,
    RuleFilterForm,
    RuleForm,
    RuleReplaceForm,
    resolve_division,
    unit_options,
)
from shegong.appeals.models import DispatchRule
from shegong.appeals.routing import route_rule

LIST = "appeals:catalogue_rules"
PAGE_SIZE = 25


@require_GET
@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    manager_prefixes(request.user)
    filters = RuleFilterForm(request.GET)
    params = filters.filters()
    page = Paginator(selectors.rules_visible_to(user=request.user, **params), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "appeals/catalogue/rule_list.html",
        {
            "filters": filters,
            "current_sort": params["ordering"],
            "page_obj": page,
            "is_filtered": any(request.GET.get(k) for k in ("division", "category", "q", "status")),
        },
    )


def _pickers() -> dict[str, str]:
    return {
        "division_search_url": reverse("appeals:catalogue_division_options"),
        "unit_options_url": reverse("appeals:catalogue_unit_options"),
    }


@require_http_methods(["GET", "POST"])
@login_required
def rule_create(request: HttpRequest) -> HttpResponse:
    manager_prefixes(request.user)
    initial = {k: request.GET[k] for k in ("division", "category") if request.GET.get(k)}
    form = RuleForm(request.POST or None, user=request.user, initial=initial, **_pickers())
    if request.method == "POST" and form.is_valid():
        try:
            rule = catalogue.dispatch_rule_set(actor=request.user, replaces=None, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Rule added: {rule}.").format(rule=_describe(rule)))
            return redirect(LIST)
    return render(
        request,
        "appeals/catalogue/rule_form.html",
        {"form": form, "rule": None, "division_options_id": DIVISION_OPTIONS_ID},
    )


@require_http_methods(["GET", "POST"])
@login_required
def rule_replace(request: HttpRequest, pk: int) -> HttpResponse:
    manager_prefixes(request.user)
    rule = selectors.rule_get_visible(user=request.user, pk=pk)
    if not rule.is_active:
        messages.info(request, _("This rule is no longer active; add a new one instead."))
        return redirect(LIST)
    unit_q = request.GET.get("unit_q", "")[:100]
    form = RuleReplaceForm(request.POST or None, user=request.user, division=rule.division, unit_q=unit_q)
    if request.method == "POST" and form.is_valid():
        try:
            new = catalogue.dispatch_rule_set(
                actor=request.user,
                division=rule.division,
                category=rule.category,
                unit=form.cleaned_data["unit"],
                replaces=rule,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Rule replaced: {rule}.").format(rule=_describe(new)))
            return redirect(LIST)
    return render(request, "appeals/catalogue/rule_form.html", {"form": form, "rule": rule, "unit_q": unit_q})


@require_http_methods(["GET", "POST"])
@login_required
def rule_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deactivates."""
    manager_prefixes(request.user)
    rule = selectors.rule_get_visible(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            catalogue.dispatch_rule_deactivate(actor=request.user, rule=rule)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Rule deactivated: {rule}.").format(rule=_describe(rule)))
        return redirect(LIST)
    return render(request, "appeals/catalogue/rule_confirm_deactivate.html", {"rule": rule})


@require_GET
@login_required
def rule_preview(request: HttpRequest) -> HttpResponse:
    """Which unit route() picks for a division and category, and by which rule."""
    manager_prefixes(request.user)
    asked = bool(request.GET.get("division"))
    form = PreviewForm(
        request.GET if asked else None,
        user=request.user,
        division_search_url=reverse("appeals:catalogue_division_options"),
    )
    result = None
    if asked and form.is_valid():
        division, category = form.cleaned_data["division"], form.cleaned_data["category"]
        rule = route_rule(division=division, category=category)
        result = {
            "division": division,
            "division_path": selectors.division_path(division),
            "category": category,
            "rule": rule,
            # a rule set higher up than the user's grants: shown, but it cannot be changed from here
            "rule_editable": rule is not None
            and selectors.rules_visible_to(user=request.user).filter(pk=rule.pk).exists(),
        }
    return render(
        request,
        "appeals/catalogue/rule_preview.html",
        {"form": form, "result": result, "division_options_id": DIVISION_OPTIONS_ID},
    )


@require_GET
@login_required
def division_options(request: HttpRequest) -> HttpResponse:
    """htmx: <option>s for the division picker's datalist (divisions in scope matching ?division=)."""
    manager_prefixes(request.user)
    found = selectors.division_search(user=request.user, text=request.GET.get("division", ""))
    paths = selectors.division_paths(found)
    options = [(d.code, paths[d.code]) for d in found]
    return render(request, "appeals/catalogue/_division_options.html", {"options": options})


@require_GET
@login_required
def unit_options_view(request: HttpRequest) -> HttpResponse:
    """htmx: <option>s for the unit <select>: active units inside the typed division (or the whole scope)."""
    manager_prefixes(request.user)
    text = request.GET.get("division", "").strip()
    division = None
    if text:
        try:
            division = resolve_division(user=request.user, text=text)
        except ValidationError:
            division = None
    options, _cut = unit_options(user=request.user, division=division)
    return render(
        request,
        "appeals/catalogue/_unit_options.html",
        {"options": options, "selected": request.GET.get("unit", "")},
    )


def _describe(rule: DispatchRule) -> str:
    where = rule.division.name if rule.division is not None else _("nationwide")
    what = rule.category.name if rule.category is not None else _("any category")
    return f"{where} × {what} → {rule.unit.name}"
