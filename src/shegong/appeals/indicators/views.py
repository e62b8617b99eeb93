"""Desk pages: the indicators (period, grouping, drill-down, sort), their Excel export, the exclusions
list, excluding an appeal and lifting an exclusion.

Scope: holding `AppealsPerm.VIEW` nowhere is a 403; a division or appeal outside the jurisdiction is a 404;
excluding needs `AppealsPerm.EXCLUDE` over the appeal's division (else 403). A unit's handler sees only
their unit's appeals, so their report is their unit's row.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.indicators import compute, export, selectors, services
from shegong.appeals.indicators.forms import ExclusionForm, IndicatorFilterForm, LiftForm, PeriodChoice
from shegong.appeals.models import RateExclusion
from shegong.appeals.services import AppealConflict
from shegong.core import permissions
from shegong.core.scoping import has_perm_on, require_any_scope

PAGE_SIZE = 50  # report rows (units or sub-divisions)
EXCLUSIONS_PAGE_SIZE = 20


def _default_group(user: Any) -> str:
    """A unit's handler (every grant that shows appeals is bound to a unit) starts with the unit rows;
    everyone else with the sub-divisions of their jurisdiction."""
    grants = [g for g in user.active_grants() if AppealsPerm.VIEW in permissions.perms_of_role(g.role)]
    if grants and all(g.unit_id for g in grants):
        return compute.Grouping.UNIT
    return compute.Grouping.DIVISION


def _filter_form(request: HttpRequest) -> IndicatorFilterForm:
    """The GET filter with the defaults filled in, so that the pickers show what the report uses."""
    default_group = _default_group(request.user)
    data = request.GET.copy()
    data.setdefault("period", PeriodChoice.THIS_MONTH)
    data.setdefault("group", default_group)
    return IndicatorFilterForm(data, default_group=default_group)


def _headers(report: compute.IndicatorReport, sort: str) -> list[dict[str, str]]:
    """Sortable column headers: a click sorts by the column, a second click reverses it."""
    labels = {
        "label": _("Unit") if report.grouping == compute.Grouping.UNIT else _("Division"),
        "counted": _("Counted appeals"),
        "excluded": _("Excluded"),
        **{rate.key: str(rate.label) for rate in report.rates},
        "hours": _("Average handling time (working hours)"),
    }
    order = ["label", "counted", "excluded", *(rate.key for rate in report.rates), "hours"]
    return [
        {
            "key": key,
            "label": labels[key],
            "next": f"-{key}" if sort == key else key,
            "active": "asc" if sort == key else "desc" if sort == f"-{key}" else "",
        }
        for key in order
    ]


def _report_context(request: HttpRequest, form: IndicatorFilterForm) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {"form": form, "report": None, "rows": None}
    code = request.GET.get("division", "")
    division = selectors.division_for_report(user=user, code=code) if code else None
    if not form.is_valid():
        return context
    if division is None and form.get_group() == compute.Grouping.DIVISION:
        division = compute.default_division(user)
    report = compute.indicator_report(
        user=user, period=form.get_period(), grouping=form.get_group(), division=division
    )
    sort = request.GET.get("sort", "label")
    page = Paginator(compute.sort_rows(report.rows, sort, report.rates), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context.update(
        report=report,
        page_obj=page,
        rows=[{"row": row, "cells": report.cells(row)} for row in page],
        total_cells=report.cells(report.total),
        headers=_headers(report, sort),
        breadcrumbs=selectors.report_breadcrumbs(user=user, division=division) if division else [],
        can_exclude=user.has_scope_perm(AppealsPerm.EXCLUDE),  # type: ignore[union-attr]
    )
    return context


@require_GET
@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    require_any_scope(request.user, AppealsPerm.VIEW)
    form = _filter_form(request)
    return render(request, "appeals/indicators/report.html", _report_context(request, form))


@require_GET
@login_required
def indicators_export(request: HttpRequest) -> HttpResponseBase:
    require_any_scope(request.user, AppealsPerm.VIEW)
    form = _filter_form(request)
    context = _report_context(request, form)
    report = context["report"]
    if report is None:
        return render(request, "appeals/indicators/report.html", context, status=400)
    appeals = compute.population(user=request.user, period=report.period, division=report.division)
    return export.export_response(actor=request.user, report=report, appeals=appeals)


@require_GET
@login_required
def exclusions(request: HttpRequest) -> HttpResponse:
    require_any_scope(request.user, AppealsPerm.VIEW)
    code = request.GET.get("division", "")
    division = selectors.division_for_report(user=request.user, code=code) if code else None
    page = Paginator(
        selectors.exclusions_visible_to(user=request.user, division=division), EXCLUSIONS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [
        {"exclusion": e, "can_lift": has_perm_on(request.user, AppealsPerm.EXCLUDE, e.appeal)} for e in page
    ]
    return render(
        request,
        "appeals/indicators/exclusions.html",
        {"page_obj": page, "rows": rows, "division": division},
    )


@require_http_methods(["GET", "POST"])
@login_required
def exclude(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """GET: the appeal and a form asking for the reason and a confirmation; POST: exclude it."""
    require_any_scope(request.user, AppealsPerm.VIEW)
    appeal = selectors.appeal_for_exclusion(user=request.user, tracking_no=tracking_no)
    if not has_perm_on(request.user, AppealsPerm.EXCLUDE, appeal):
        raise PermissionDenied
    existing = RateExclusion.objects.filter(appeal=appeal).select_related("by").first()
    form = ExclusionForm(request.POST or None)
    if request.method == "POST" and existing is None and form.is_valid():
        try:
            services.exclusion_add(appeal=appeal, actor=request.user, reason=form.cleaned_data["reason"])
        except AppealConflict as exc:
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Appeal {number} is now left out of the rates.").format(number=appeal.tracking_no),
            )
            return redirect("appeals:exclusions")
    status = 409 if request.method == "POST" and existing is not None else 200
    return render(
        request,
        "appeals/indicators/exclude.html",
        {"appeal": appeal, "form": form, "existing": existing},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def exclusion_lift(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: confirmation with a reason; POST: count the appeal in the rates again."""
    require_any_scope(request.user, AppealsPerm.VIEW)
    exclusion = selectors.exclusions_visible_to(user=request.user).filter(pk=pk).first()
    if exclusion is None:
        raise Http404
    if not has_perm_on(request.user, AppealsPerm.EXCLUDE, exclusion.appeal):
        raise PermissionDenied
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.exclusion_lift(
                exclusion=exclusion, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except AppealConflict as exc:
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Appeal {number} is counted in the rates again.").format(
                    number=exclusion.appeal.tracking_no
                ),
            )
            return redirect("appeals:exclusions")
    return render(request, "appeals/indicators/lift.html", {"exclusion": exclusion, "form": form})
