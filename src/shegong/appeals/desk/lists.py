"""The queue page: one tab per work list (with counts), the filter form, the search box, sorting and pages of
20. Reads go through `appeals_visible_to` and `filtering.apply_filter`, like the API and the exports."""

from __future__ import annotations

from dataclasses import replace

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.desk.access import perm_required, subtree_in_scope_or_404
from shegong.appeals.desk.clocks import current_due, is_overdue
from shegong.appeals.desk.filters import (
    SORTS,
    DeskFilterForm,
    default_queue,
    default_sort,
    queues_for,
    sort_appeals,
)
from shegong.appeals.filtering import Queue, apply_filter
from shegong.appeals.selectors import appeals_visible_to

PAGE_SIZE = 20


@require_GET
@perm_required(AppealsPerm.VIEW)
def desk_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    tabs = queues_for(user)
    queue = request.GET.get("queue") or ""
    if queue not in Queue.values:
        queue = default_queue(user)
    if queue not in tabs:
        tabs.append(Queue(queue))  # a link from elsewhere may name another list: show its tab too
    form = DeskFilterForm(request.GET, user=user)
    data = form.valid_data()
    prefix = subtree_in_scope_or_404(user, AppealsPerm.VIEW, data.get("division") or "")
    appeal_filter = form.to_filter(queue=queue, division_prefix=prefix)
    now = timezone.now()
    base = appeals_visible_to(user=user)
    sort = data.get("sort") or default_sort(queue)
    matching = sort_appeals(apply_filter(base, appeal_filter, now=now), sort)
    page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("page"))
    for appeal in page.object_list:
        appeal.running_due = current_due(appeal)  # type: ignore[attr-defined]
        appeal.is_overdue = is_overdue(appeal, now)  # type: ignore[attr-defined]
    counts = [
        (tab, apply_filter(base, replace(appeal_filter, queue=tab), now=now).count(), tab == queue)
        for tab in tabs
    ]
    return render(
        request,
        "appeals/desk/list.html",
        {
            "form": form,
            "queue": Queue(queue),
            "tabs": counts,
            "page_obj": page,
            "sort": sort,
            "sort_label": SORTS.get(sort, ""),
            "is_filtered": form.is_filtered,
            "can_file": user.has_scope_perm(AppealsPerm.INTAKE),  # type: ignore[union-attr]
        },
    )
