"""The supervisor's 督办 list: supervision records of open appeals in the user's supervising scope, the
overdue and nearest deadlines first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from shegong.appeals.choices import OPEN_STATES, AppealsPerm
from shegong.appeals.desk.access import perm_required, subtree_in_scope_or_404
from shegong.appeals.models import Supervision
from shegong.appeals.selectors import appeals_visible_to

PAGE_SIZE = 20


def open_supervisions(*, user: Any, division_prefix: str = "") -> QuerySet[Supervision]:
    """Supervisions of the still-open appeals `user` may supervise, earliest deadline first (a passed
    deadline sorts before any future one; none last)."""
    appeals = appeals_visible_to(user=user, perm=AppealsPerm.SUPERVISE, states=sorted(OPEN_STATES))
    if division_prefix:
        appeals = appeals.in_subtree(division_prefix)
    return (
        Supervision.objects.filter(appeal__in=appeals.values("pk"))
        .select_related("appeal", "appeal__unit", "appeal__division", "appeal__category", "by", "level")
        .order_by(F("deadline").asc(nulls_last=True), "created_at", "pk")
    )


@require_GET
@perm_required(AppealsPerm.SUPERVISE)
def supervision_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    division = request.GET.get("division", "").strip()
    prefix = subtree_in_scope_or_404(user, AppealsPerm.SUPERVISE, division)
    now = timezone.now()
    rows = open_supervisions(user=user, division_prefix=prefix)
    overdue_only = request.GET.get("overdue") == "1"
    if overdue_only:
        rows = rows.filter(deadline__lt=now)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appeals/desk/supervision_list.html",
        {
            "page_obj": page,
            "now": now,
            "division": division if prefix else "",
            "bad_division": bool(division) and not prefix,
            "overdue_only": overdue_only,
        },
    )
