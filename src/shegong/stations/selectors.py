"""Reads of stations.

Public search (`nearest`, `within`) is not scoped: stations are public points on a map. It runs on SQLite
and PostgreSQL without PostGIS: a bounding box on the indexed (lat, lng) columns, then exact haversine
distances and the amenity/open-now filters in Python on the few candidates. Candidates are read as
(id, lat, lng) only — the index holds them — and ranked by distance; only the nearest are then loaded
in full and filtered, a chunk at a time. `nearest` widens the box (doubling the radius) until k stations
within the radius pass the filters, so the answer is exact.
Inputs are GCJ-02; `from_browser` converts a WGS-84 position from the Geolocation API.

Staff reads are scoped: `stations_visible_to(user=…)`, filtered by `filter_stations` (the desk list and the
API list share it); `usage_by_station` and `usage_by_period` count riders' check-ins and feedback in one
grouped query each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from shegong.core.scoping import ScopedQuerySet
from shegong.stations import geo, hours
from shegong.stations.choices import Amenity, Direction, FeedbackKind, StationsPerm, Status
from shegong.stations.models import Station, StationException, StationFeedback, StationVisit, is_open

START_RADIUS_M = 500.0
MAX_RADIUS_M = 50_000.0  # past this a rider wants a different answer than "a station 60 km away"
MAX_K = 50

# Only what the list needs: the encrypted phone is deferred (decrypting it for every candidate would cost
# more than the search); callers that show it load it for their k results.
_FIELDS = (
    "id",
    "name",
    "kind",
    "division_id",
    "address",
    "lat",
    "lng",
    "amenities",
    "opening_hours",
    "status",
)


@dataclass(frozen=True)
class Nearby:
    station: Station
    distance_m: float
    direction: Direction
    open_now: bool


def from_browser(*, lat: object, lng: object) -> tuple[float, float]:
    """A browser's WGS-84 position, validated and converted to GCJ-02."""
    wlat, wlng = geo.validate_point(lat, lng)
    return geo.wgs84_to_gcj02(wlat, wlng)


def _check_amenity(amenity: str | None) -> None:
    if amenity is not None and amenity not in Amenity.values:
        raise ValidationError(_("Unknown amenity “{code}”.").format(code=amenity), code="unknown_amenity")


def _ring(lat: float, lng: float, radius_m: float) -> list[tuple[float, int]]:
    """(distance, id) of every station within `radius_m`, nearest first.

    Reads only id, lat and lng, which the (lat, lng) index holds: an index-only range scan on SQLite.
    """
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, radius_m)
    rows = Station.all_objects.filter(
        lat__gte=min_lat, lat__lte=max_lat, lng__gte=min_lng, lng__lte=max_lng
    ).values_list("id", "lat", "lng")
    ring = []
    for pk, s_lat, s_lng in rows:
        distance = geo.haversine_m(lat, lng, s_lat, s_lng)
        if distance <= radius_m:
            ring.append((distance, pk))
    ring.sort()
    return ring


def _exceptions_on(ids: list[int], at: datetime) -> dict[int, dict[Any, Any]]:
    """Each station's exception for `at`'s local date, in one query."""
    day = at.astimezone(hours.LOCAL_TZ).date()
    found: dict[int, dict[Any, Any]] = defaultdict(dict)
    if ids:
        for row in StationException.objects.filter(station_id__in=ids, date=day):
            found[row.station_id][row.date] = row.day_hours
    return found


def _judge(
    ring: list[tuple[float, int]],
    *,
    lat: float,
    lng: float,
    amenity: str | None,
    open_now: bool,
    at: datetime,
) -> dict[int, Nearby | None]:
    """Load the ring's stations (two queries) and keep those in service that pass the filters."""
    ids = [pk for _d, pk in ring]
    distance = {pk: d for d, pk in ring}
    exceptions = _exceptions_on(ids, at)
    judged: dict[int, Nearby | None] = dict.fromkeys(ids)
    for station in Station.all_objects.filter(pk__in=ids, status=Status.OPEN).only(*_FIELDS):
        if amenity is not None and amenity not in station.amenities:
            continue
        serving = is_open(station, at, exceptions=exceptions.get(station.pk, {}))
        if open_now and not serving:
            continue
        judged[station.pk] = Nearby(
            station=station,
            distance_m=distance[station.pk],
            direction=geo.direction(lat, lng, station.lat, station.lng),
            open_now=serving,
        )
    return judged


def nearest(
    *,
    lat: float,
    lng: float,
    k: int = 5,
    amenity: str | None = None,
    open_now: bool = True,
    at: datetime | None = None,
    max_radius_m: float = MAX_RADIUS_M,
) -> list[Nearby]:
    """The k stations in service nearest to the GCJ-02 point, nearest first, within `max_radius_m`.

    `amenity` keeps stations offering it; `open_now` keeps those open at `at` (default: now).
    """
    lat, lng = geo.validate_point(lat, lng)
    if not 1 <= k <= MAX_K:
        raise ValidationError(_("k must be between 1 and {max}.").format(max=MAX_K), code="bad_k")
    _check_amenity(amenity)
    at = at or timezone.now()
    judged: dict[int, Nearby | None] = {}  # kept across widenings: each station is loaded once
    chunk = max(8 * k, 32)  # filters pass roughly one station in five; load a few rounds' worth at once
    radius = min(START_RADIUS_M, max_radius_m)
    while True:
        ring = _ring(lat, lng, radius)
        found: list[Nearby] = []
        for i, (_distance, pk) in enumerate(ring):
            if pk not in judged:
                todo = [item for item in ring[i:] if item[1] not in judged][:chunk]
                judged.update(_judge(todo, lat=lat, lng=lng, amenity=amenity, open_now=open_now, at=at))
            hit = judged[pk]
            if hit is not None:
                found.append(hit)
                if len(found) == k:
                    return found
        # Every station within `radius` has been judged: fewer than k pass, so look farther.
        if radius >= max_radius_m:
            return found
        radius = min(radius * 2, max_radius_m)


def within(
    *,
    lat: float,
    lng: float,
    radius_m: float,
    amenity: str | None = None,
    open_now: bool = False,
    at: datetime | None = None,
) -> list[Nearby]:
    """Every station in service within `radius_m` of the GCJ-02 point, nearest first."""
    lat, lng = geo.validate_point(lat, lng)
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise ValidationError(
            _("The radius must be between 1 and {max} metres.").format(max=int(MAX_RADIUS_M)),
            code="bad_radius",
        )
    _check_amenity(amenity)
    ring = _ring(lat, lng, radius_m)
    judged = _judge(ring, lat=lat, lng=lng, amenity=amenity, open_now=open_now, at=at or timezone.now())
    return [hit for _d, pk in ring if (hit := judged[pk]) is not None]


def stations_visible_to(*, user: Any, perm: str = StationsPerm.VIEW) -> ScopedQuerySet[Station]:
    """Stations in the user's jurisdiction (staff lists and detail)."""
    return Station.objects.visible_to(user, perm).select_related("division", "operator_unit")


# --- staff lists -------------------------------------------------------------------------------------------
RECENT_DAYS = 30  # "visits in the last 30 days" on the list


def has_amenity(code: str) -> Q:
    """Stations whose amenity list holds `code`. The list is stored as JSON text (["toilet", "water"]);
    a quoted code matches only that whole code on SQLite and PostgreSQL alike (codes are whitelisted)."""
    _check_amenity(code)
    return Q(amenities__icontains=f'"{code}"')


def open_now_ids(qs: QuerySet[Station], at: datetime) -> list[int]:
    """Ids of the stations in `qs` open at `at` (two queries: hours, then that day's exceptions)."""
    rows = list(qs.filter(status=Status.OPEN).values_list("id", "opening_hours"))
    exceptions = _exceptions_on([pk for pk, _h in rows], at)
    return [pk for pk, weekly in rows if hours.is_open_at(weekly, exceptions.get(pk, {}), at)]


def filter_stations(
    qs: QuerySet[Station],
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    amenity: str = "",
    division_prefix: str = "",
    open_now: bool = False,
    at: datetime | None = None,
) -> QuerySet[Station]:
    """Narrow a scoped station queryset: `q` in the name or address, exact kind/status, an amenity, a
    division subtree (2/4/6/9/12-digit prefix), open at `at` (default now)."""
    q = q.strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if amenity:
        qs = qs.filter(has_amenity(amenity))
    if division_prefix:
        qs = qs.filter(
            division_id__gte=division_prefix.ljust(12, "0"), division_id__lte=division_prefix.ljust(12, "9")
        )
    if open_now:
        qs = qs.filter(pk__in=open_now_ids(qs, at or timezone.now()))
    return qs


def _count_of(
    model: type[StationVisit] | type[StationFeedback], start: datetime, end: datetime, **extra: Any
) -> Coalesce:
    """A correlated COUNT(*) of `model` rows of the outer station in [start, end) — served by the
    (station, at) index; one SQL statement for the whole list, however many stations it shows."""
    counted = (
        model.objects.filter(station=OuterRef("pk"), at__gte=start, at__lt=end, **extra)
        .order_by()
        .values("station")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_recent_visits(qs: QuerySet[Station], *, now: datetime | None = None) -> QuerySet[Station]:
    """Annotate `recent_visits`: check-ins in the last RECENT_DAYS days."""
    now = now or timezone.now()
    return qs.annotate(recent_visits=_count_of(StationVisit, now - timedelta(days=RECENT_DAYS), now))


def local_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Asia/Shanghai, as aware datetimes."""
    return (
        datetime.combine(start, time.min, tzinfo=hours.LOCAL_TZ),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=hours.LOCAL_TZ),
    )


def usage_by_station(qs: QuerySet[Station], *, start: date, end: date) -> QuerySet[Station]:
    """`qs` annotated with `visit_count`, `thumbs_up_count`, `problem_count` and `last_problem_appeal` (the
    tracking number of the newest problem report's appeal) between the local dates, most used first — one
    query."""
    lo, hi = local_range(start, end)
    newest_appeal = (
        StationFeedback.objects.filter(station=OuterRef("pk"), at__gte=lo, at__lt=hi, appeal__isnull=False)
        .exclude(kind=FeedbackKind.THUMBS_UP)
        .order_by("-at", "-pk")
        .values("appeal__tracking_no")[:1]
    )
    return qs.annotate(
        visit_count=_count_of(StationVisit, lo, hi),
        thumbs_up_count=_count_of(StationFeedback, lo, hi, kind=FeedbackKind.THUMBS_UP),
        problem_count=_count_of(StationFeedback, lo, hi, kind__in=FeedbackKind.problems()),
        last_problem_appeal=Subquery(newest_appeal),
    ).order_by("-visit_count", "-thumbs_up_count", "-problem_count", "name", "pk")


_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def usage_by_period(qs: QuerySet[Station], *, start: date, end: date, period: str) -> list[dict[str, Any]]:
    """Totals per local day, week (from Monday) or month for the stations of `qs`: one grouped query for
    visits and one for feedback, merged into [{"period": date, "visits", "thumbs_up", "problems"}]."""
    trunc = _TRUNC[period]
    lo, hi = local_range(start, end)
    ids = qs.order_by().values("pk")
    rows: dict[date, dict[str, Any]] = {}

    def row(when: Any) -> dict[str, Any]:
        day = when.date() if isinstance(when, datetime) else when
        return rows.setdefault(day, {"period": day, "visits": 0, "thumbs_up": 0, "problems": 0})

    visits = (
        StationVisit.objects.filter(station__in=ids, at__gte=lo, at__lt=hi)
        .annotate(p=trunc("at", tzinfo=hours.LOCAL_TZ))
        .order_by()
        .values("p")
        .annotate(n=Count("*"))
    )
    for item in visits:
        row(item["p"])["visits"] = item["n"]
    feedback = (
        StationFeedback.objects.filter(station__in=ids, at__gte=lo, at__lt=hi)
        .annotate(p=trunc("at", tzinfo=hours.LOCAL_TZ))
        .order_by()
        .values("p")
        .annotate(
            up=Count("pk", filter=Q(kind=FeedbackKind.THUMBS_UP)),
            bad=Count("pk", filter=~Q(kind=FeedbackKind.THUMBS_UP)),
        )
    )
    for item in feedback:
        target = row(item["p"])
        target["thumbs_up"], target["problems"] = item["up"], item["bad"]
    return [rows[k] for k in sorted(rows)]


def station_feedback(*, station: Station) -> QuerySet[StationFeedback]:
    """A station's feedback, newest first, with the appeal's tracking number at hand."""
    return StationFeedback.objects.filter(station=station).select_related("appeal").order_by("-at", "-pk")
