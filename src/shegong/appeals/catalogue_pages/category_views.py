"""Desk pages for appeal categories: the two-level tree, adding a second-level category, editing one, and
retiring or reactivating it (with confirmation). Anyone holding the catalogue permission reads the tree;
only a nationwide grant changes it (403 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals import catalogue
from shegong.appeals.catalogue_pages import selectors
from shegong.appeals.catalogue_pages.access import is_nationwide, manager_prefixes, require_nationwide
from shegong.appeals.catalogue_pages.forms import CategoryCreateForm, CategoryEditForm

LIST = "appeals:catalogue_categories"


@require_GET
@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    manager_prefixes(request.user)
    return render(
        request,
        "appeals/catalogue/category_list.html",
        {"roots": selectors.category_tree(user=request.user), "can_edit": is_nationwide(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def category_create(request: HttpRequest) -> HttpResponse:
    require_nationwide(request.user)
    initial = {"parent": request.GET.get("parent")} if request.GET.get("parent", "").isdigit() else {}
    form = CategoryCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            category = catalogue.category_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Category “{name}” added.").format(name=category.name))
            return redirect(LIST)
    return render(request, "appeals/catalogue/category_form.html", {"form": form, "category": None})


@require_http_methods(["GET", "POST"])
@login_required
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_nationwide(request.user)
    category = selectors.category_get(pk)
    initial = {
        "name": category.name,
        "scope": category.scope,
        "default_unit_type": category.default_unit_type,
    }
    form = CategoryEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            category = catalogue.category_update(actor=request.user, category=category, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Category “{name}” saved.").format(name=category.name))
            return redirect(LIST)
    return render(request, "appeals/catalogue/category_form.html", {"form": form, "category": category})


def _toggle(request: HttpRequest, pk: int, *, retire: bool) -> HttpResponse:
    """GET asks for confirmation; POST retires or reactivates."""
    require_nationwide(request.user)
    category = selectors.category_get(pk)
    if request.method == "POST":
        if category.is_active != retire:
            messages.info(request, _("Nothing to do: the category has been changed already."))
            return redirect(LIST)
        try:
            if retire:
                catalogue.category_retire(actor=request.user, category=category)
            else:
                catalogue.category_reactivate(actor=request.user, category=category)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            text = _("Category “{name}” retired.") if retire else _("Category “{name}” reactivated.")
            messages.success(request, text.format(name=category.name))
        return redirect(LIST)
    return render(
        request,
        "appeals/catalogue/category_confirm.html",
        {
            "category": category,
            "retire": retire,
            "active_children": category.children.filter(is_active=True).order_by("order", "code"),
            "parent_retired": category.parent is not None and not category.parent.is_active,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def category_retire(request: HttpRequest, pk: int) -> HttpResponse:
    return _toggle(request, pk, retire=True)


@require_http_methods(["GET", "POST"])
@login_required
def category_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _toggle(request, pk, retire=False)
