"""The station list: search, filters, sorting (name, last change, visits in the last 30 days), pages of 25,
counts per status and the empty state. Reads go through `stations_visible_to` and `filter_stations`, like
the API list."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shegong.stations import selectors
from shegong.stations.choices import StationsPerm, Status
from shegong.stations.desk.access import perm_required, subtree_in_scope_or_404
from shegong.stations.forms import StationFilterForm, sort_order

PAGE_SIZE = 25


@require_GET
@perm_required(StationsPerm.VIEW)
def desk_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = StationFilterForm(request.GET)
    data = form.valid_data()
    prefix = subtree_in_scope_or_404(user, data.get("division") or "")
    matching = selectors.filter_stations(
        selectors.stations_visible_to(user=user),
        q=data.get("q") or "",
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        amenity=data.get("amenity") or "",
        division_prefix=prefix,
        open_now=bool(data.get("open_now")),
    )
    sort = data.get("sort") or "name"
    rows = selectors.with_recent_visits(matching).order_by(*sort_order(sort))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = matching.order_by().aggregate(
        total=Count("pk"), **{s.value: Count("pk", filter=Q(status=s.value)) for s in Status}
    )
    return render(
        request,
        "stations/desk/list.html",
        {
            "form": form,
            "page_obj": page,
            "sort": sort,
            "total": counts["total"],
            "status_counts": [(s, counts[s.value]) for s in Status],
            "is_filtered": form.is_filtered,
            "can_create": user.has_scope_perm(StationsPerm.MANAGE),  # type: ignore[union-attr]
            "recent_days": selectors.RECENT_DAYS,
        },
    )
