"""Station usage: riders' check-ins and feedback per station in the user's scope over a date range
(default the last 30 days), most used first, with the newest problem's appeal; and the totals by day,
week or month. Each table is one grouped query (correlated counts on the (station, at) indexes)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shegong.stations import selectors
from shegong.stations.choices import StationsPerm
from shegong.stations.desk.access import perm_required, subtree_in_scope_or_404
from shegong.stations.desk.detail_views import visible_tracking_numbers
from shegong.stations.forms import UsageForm

PAGE_SIZE = 50


@require_GET
@perm_required(StationsPerm.VIEW)
def usage(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = UsageForm(request.GET)
    start, end, period, division = form.range()
    prefix = subtree_in_scope_or_404(user, division)
    stations = selectors.filter_stations(selectors.stations_visible_to(user=user), division_prefix=prefix)
    rows = selectors.usage_by_station(stations, start=start, end=end)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    numbers = {s.last_problem_appeal for s in page.object_list if s.last_problem_appeal}  # type: ignore[attr-defined]
    periods = selectors.usage_by_period(stations, start=start, end=end, period=period)
    totals = {k: sum(p[k] for p in periods) for k in ("visits", "thumbs_up", "problems")}
    return render(
        request,
        "stations/desk/usage.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "period": period,
            "page_obj": page,
            "periods": periods,
            "totals": totals,
            "visible_appeals": visible_tracking_numbers(user, numbers),
        },
    )
