"""Desk pages for time limits: one table per category (clock × urgency, the value in force and where it
comes from), editing one cell, and resetting a category's own value to the inherited one. Reading needs
the catalogue permission somewhere; changing needs it nationwide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals import catalogue
from shegong.appeals.catalogue_pages import selectors
from shegong.appeals.catalogue_pages.access import is_nationwide, manager_prefixes, require_nationwide
from shegong.appeals.catalogue_pages.forms import TimeLimitForm
from shegong.appeals.choices import Clock, Urgency
from shegong.appeals.models import Category

DEFAULT_KEY = "default"


def _category_from_key(key: str) -> Category | None:
    """'default' → None (the default rows); a category's pk → that category; anything else → 404."""
    if key == DEFAULT_KEY:
        return None
    if not key.isdigit():
        raise Http404
    return selectors.category_get(key)


def _table_url(category: Category | None) -> str:
    url = reverse("appeals:catalogue_time_limits")
    return f"{url}?category={category.pk}" if category is not None else url


def _cell_args(category: Category | None, clock: str, urgency: str) -> tuple[Category | None, str, str]:
    if clock not in Clock.values or urgency not in Urgency.values:
        raise Http404
    return category, clock, urgency


@require_GET
@login_required
def time_limit_table(request: HttpRequest) -> HttpResponse:
    manager_prefixes(request.user)
    raw = request.GET.get("category", "")
    category = selectors.category_get(raw) if raw else None
    return render(
        request,
        "appeals/catalogue/time_limits.html",
        {
            "category": category,
            "category_key": category.pk if category is not None else DEFAULT_KEY,
            "table": selectors.limit_table(category),
            "roots": selectors.category_tree(user=request.user),
            "can_edit": is_nationwide(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def time_limit_edit(request: HttpRequest, category_key: str, clock: str, urgency: str) -> HttpResponse:
    require_nationwide(request.user)
    category, clock, urgency = _cell_args(_category_from_key(category_key), clock, urgency)
    cell = selectors.limit_cell(category, clock, urgency)
    form = TimeLimitForm(request.POST or None, initial={"amount": cell.amount, "unit": cell.unit})
    if request.method == "POST" and form.is_valid():
        try:
            catalogue.time_limit_set(
                actor=request.user, category=category, urgency=urgency, clock=clock, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Time limit saved. It applies to clocks started from now on."))
            return redirect(_table_url(category))
    return render(
        request,
        "appeals/catalogue/time_limit_form.html",
        {
            "form": form,
            "category": category,
            "cell": cell,
            "clock_label": Clock(clock).label,
            "urgency_label": Urgency(urgency).label,
            "back_url": _table_url(category),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def time_limit_reset(request: HttpRequest, category_key: str, clock: str, urgency: str) -> HttpResponse:
    """GET asks for confirmation; POST deletes the category's own value for this clock and urgency."""
    require_nationwide(request.user)
    category, clock, urgency = _cell_args(_category_from_key(category_key), clock, urgency)
    if category is None:
        raise Http404  # the default rows have nothing to inherit from
    if request.method == "POST":
        if catalogue.time_limit_reset(actor=request.user, category=category, urgency=urgency, clock=clock):
            messages.success(request, _("The inherited time limit applies again."))
        else:
            messages.info(request, _("Nothing to do: this category had no time limit of its own here."))
        return redirect(_table_url(category))
    cell = selectors.limit_cell(category, clock, urgency)
    # what applies after the reset: the parent's value in force, or the default row
    inherited = selectors.limit_cell(category.parent, clock, urgency)
    return render(
        request,
        "appeals/catalogue/time_limit_confirm_reset.html",
        {
            "category": category,
            "cell": cell,
            "inherited": inherited,
            "clock_label": Clock(clock).label,
            "urgency_label": Urgency(urgency).label,
            "back_url": _table_url(category),
        },
    )
