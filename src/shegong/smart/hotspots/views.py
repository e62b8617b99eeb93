"""Pages of hotspots under /dashboard/hotspots/: alerts (list, detail with their appeals, dismiss, turn into
a governance task) and governance tasks (list, detail with progress and notes, done).

Scope: holding the view permission nowhere is a 403; an alert or task outside the user's jurisdiction is a
404; a visible one the user may not decide on is a 403. Appeals are read through `appeals_visible_to`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals.desk.access import subtree_in_scope_or_404
from shegong.appeals.routing import route
from shegong.core.scoping import get_visible_or_404, has_perm_on, require_any_scope
from shegong.divisions.models import Unit
from shegong.smart.hotspots import selectors, services
from shegong.smart.hotspots.choices import AlertStatus, HotspotPerm, TaskStatus
from shegong.smart.hotspots.forms import (
    AlertFilterForm,
    DismissForm,
    DoneForm,
    NoteForm,
    TaskFilterForm,
    TaskForm,
)
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert

PAGE_SIZE = 20
RECENT = 10  # matching appeals shown on a task's page
View = Callable[..., HttpResponse]


def view_required(view: View) -> View:
    """Logged in (else the login page) and holding the view permission somewhere (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_any_scope(request.user, HotspotPerm.VIEW)
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _posted(request: HttpRequest) -> Any:
    """The submitted data of a POST (even an empty one: every field may be optional), else None."""
    return request.POST if request.method == "POST" else None


def _alert(request: HttpRequest, pk: int, *, manage: bool = False) -> HotspotAlert:
    return get_visible_or_404(
        HotspotAlert,
        user=request.user,
        perm=HotspotPerm.VIEW,
        action_perm=HotspotPerm.MANAGE if manage else None,
        pk=pk,
    )


def _task(request: HttpRequest, pk: int, *, manage: bool = False) -> GovernanceTask:
    return get_visible_or_404(
        GovernanceTask,
        user=request.user,
        perm=HotspotPerm.VIEW,
        action_perm=HotspotPerm.MANAGE if manage else None,
        pk=pk,
    )


# --- alerts ----------------------------------------------------------------------------------------------


@require_GET
@view_required
def alert_list(request: HttpRequest) -> HttpResponse:
    # Without any parameter the list shows what awaits a decision; "all" is an explicit empty status.
    filters = AlertFilterForm(request.GET if request.GET else {"status": AlertStatus.OPEN})
    chosen = filters.values()
    prefix = subtree_in_scope_or_404(request.user, HotspotPerm.VIEW, chosen["division"])
    alerts = selectors.alerts_visible_to(
        user=request.user, status=chosen["status"], kind=chosen["kind"], division_prefix=prefix
    )
    order = ["-count", "-window_end", "-pk"] if chosen["sort"] == "count" else ["-window_end", "-pk"]
    page = Paginator(alerts.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "hotspots/alert_list.html",
        {"filters": filters, "page_obj": page},
    )


@require_GET
@view_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk)
    appeals = selectors.alert_appeals(alert=alert, user=request.user).order_by("-submitted_at", "-pk")
    page = Paginator(appeals, PAGE_SIZE).get_page(request.GET.get("page"))
    task = selectors.tasks_visible_to(user=request.user).filter(alert=alert).first()
    return render(
        request,
        "hotspots/alert_detail.html",
        {
            "alert": alert,
            "page_obj": page,
            "hidden": max(alert.count - page.paginator.count, 0),
            "task": task,
            "can_manage": has_perm_on(request.user, HotspotPerm.MANAGE, alert),
            "is_open": alert.status == AlertStatus.OPEN,
        },
    )


@require_http_methods(["GET", "POST"])
@view_required
def alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (and a reason); POST dismisses."""
    alert = _alert(request, pk, manage=True)
    form = DismissForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.hotspot_dismiss(alert=alert, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The alert was dismissed."))
            return redirect("hotspots:alert_detail", pk=alert.pk)
    return render(
        request,
        "hotspots/alert_dismiss.html",
        {"alert": alert, "form": form, "is_open": alert.status == AlertStatus.OPEN},
    )


def _lead_units(user: Any, alert: HotspotAlert) -> Any:
    """Active units of the alert's county that the user manages (a district bureau, a street office…)."""
    county = alert.division_id[:6]
    return (
        Unit.objects.visible_to(user, HotspotPerm.MANAGE)
        .in_subtree(county)
        .filter(is_active=True)
        .select_related("division")
        .order_by("division_id", "name")
    )


def _task_initial(alert: HotspotAlert, units: Any) -> dict[str, Any]:
    place, category = alert.division.name, alert.category.name
    keywords = alert.keywords.replace(" ", "、")
    theme = _("{place}: {category} — {keywords}").format(place=place, category=category, keywords=keywords)
    start, end = (timezone.localtime(t).strftime("%Y-%m-%d") for t in (alert.window_start, alert.window_end))
    problems = _(
        "{count} appeals from {start} to {end} (weekly average before: {baseline}). Typical: {sample}"
    ).format(count=alert.count, start=start, end=end, baseline=alert.baseline, sample=alert.sample)
    initial: dict[str, Any] = {"theme": theme[:120], "problems": problems}
    unit = route(division=alert.division, category=alert.category)
    if unit is not None and units.filter(pk=unit.pk).exists():
        initial["lead_unit"] = unit.pk
    return initial


@require_http_methods(["GET", "POST"])
@view_required
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    """每月一题 from an alert: theme and problems prefilled, the dispatch catalogue's unit proposed."""
    alert = _alert(request, pk, manage=True)
    units = _lead_units(request.user, alert)
    form = TaskForm(_posted(request), units=units, initial=_task_initial(alert, units))
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, alert=alert, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Governance task “{theme}” created.").format(theme=task.theme))
            return redirect("hotspots:task_detail", pk=task.pk)
    return render(
        request,
        "hotspots/task_form.html",
        {"alert": alert, "form": form, "is_open": alert.status == AlertStatus.OPEN},
    )


# --- governance tasks ------------------------------------------------------------------------------------


@require_GET
@view_required
def task_list(request: HttpRequest) -> HttpResponse:
    filters = TaskFilterForm(request.GET)
    chosen = filters.values()
    prefix = subtree_in_scope_or_404(request.user, HotspotPerm.VIEW, chosen["division"])
    tasks = selectors.tasks_visible_to(user=request.user, status=chosen["status"], division_prefix=prefix)
    page = Paginator(tasks.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    progress = selectors.progress_for(list(page.object_list))
    rows = [(task, progress[task.pk]) for task in page.object_list]
    return render(
        request,
        "hotspots/task_list.html",
        {"filters": filters, "page_obj": page, "rows": rows, "is_filtered": any(chosen.values())},
    )


@require_http_methods(["GET", "POST"])
@view_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The task, its progress and notes; POST adds a progress note."""
    task = _task(request, pk)
    can_manage = has_perm_on(request.user, HotspotPerm.MANAGE, task)
    form = NoteForm(_posted(request))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.task_note(task=task, actor=request.user, note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Progress note added."))
                return redirect("hotspots:task_detail", pk=task.pk)
    now = timezone.now()
    recent = selectors.task_appeals(task=task, user=request.user, since=task.created_at, until=now)
    return render(
        request,
        "hotspots/task_detail.html",
        {
            "task": task,
            "progress": selectors.task_progress(task=task, now=now),
            "updates": task.updates.select_related("by"),
            "recent": recent.order_by("-submitted_at", "-pk")[:RECENT],
            "form": form,
            "can_manage": can_manage,
            "is_done": task.status == TaskStatus.DONE,
        },
    )


@require_http_methods(["GET", "POST"])
@view_required
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST marks the task done."""
    task = _task(request, pk, manage=True)
    form = DoneForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.task_done(task=task, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The task is marked done."))
            return redirect("hotspots:task_detail", pk=task.pk)
    return render(
        request,
        "hotspots/task_done.html",
        {"task": task, "form": form, "is_done": task.status == TaskStatus.DONE},
    )
