"""`bench_stations`: time the nearest-station search on n synthetic stations.

The stations are written inside one transaction that is rolled back at the end, so the database is left
as it was (existing stations take part in the queries while it runs). On PostgreSQL the table is ANALYZEd
inside that transaction so the planner knows about the new rows. The last line printed is one JSON object:
{"bench": "stations", "n": …, "queries": …, "k": …, "p50_ms": …, "p95_ms": …, …}
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils.translation import gettext as _

from shegong.divisions.models import Division
from shegong.stations import selectors
from shegong.stations.choices import Amenity
from shegong.stations.models import Station

# (centre lat, lng GCJ-02, spread in degrees, share of stations): dense downtowns, thinner suburbs.
CITIES = (
    (41.805, 123.432, 0.12, 0.3),  # 沈阳
    (22.817, 108.366, 0.10, 0.25),  # 南宁
    (40.842, 111.749, 0.08, 0.15),  # 呼和浩特
    (39.905, 116.405, 0.20, 0.3),  # 北京
)
HOURS: list[dict[str, Any]] = [
    dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
    {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    {d: [["07:00", "11:30"], ["13:00", "22:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
]
BATCH = 5_000


class _Rollback(Exception):
    pass


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = _("Time the nearest-station search on n synthetic stations (rolled back afterwards).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--n", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=500)
        parser.add_argument("--k", type=int, default=5)
        parser.add_argument("--seed", type=int, default=6)

    def handle(self, *args: Any, n: int, queries: int, k: int, seed: int, **options: Any) -> None:
        if n < 1 or queries < 1:
            raise CommandError(_("--n and --queries must be positive."))
        rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        result: dict[str, Any] = {}
        try:
            with transaction.atomic():
                division = self._division()
                self._fill(rng, division, n)
                result = self._measure(rng, queries, k)
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(_("rolled back: the database is as it was"))
        result = {"bench": "stations", "n": n, **result}
        self.stdout.write(json.dumps(result))

    def _division(self) -> Division:
        # a throwaway root division: the stations and it vanish with the rollback
        division, _created = Division.objects.get_or_create(
            code="990000000000", defaults={"name": "bench", "level": 2, "is_demo": True}
        )
        return division

    def _fill(self, rng: random.Random, division: Division, n: int) -> None:
        amenities = list(Amenity.values)
        weights = [c[3] for c in CITIES]
        started = time.perf_counter()
        batch: list[Station] = []
        for i in range(n):
            lat, lng, spread, _share = rng.choices(CITIES, weights)[0]
            batch.append(
                Station(
                    name=f"bench-{i}",
                    division=division,
                    address="bench",
                    lat=lat + rng.gauss(0, spread / 2),
                    lng=lng + rng.gauss(0, spread / 2),
                    amenities=rng.sample(amenities, rng.randint(1, 5)),
                    opening_hours=rng.choice(HOURS),
                )
            )
            if len(batch) == BATCH or i == n - 1:
                Station.all_objects.bulk_create(batch)
                batch = []
                self.stdout.write(_("created {done} of {n} stations").format(done=i + 1, n=n))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE stations_station")
        self.stdout.write(_("fill took {s:.1f} s").format(s=time.perf_counter() - started))

    def _measure(self, rng: random.Random, queries: int, k: int) -> dict[str, Any]:
        # a fixed instant (a weekday afternoon) so open-now filtering is the same on every run
        at = datetime(2026, 11, 30, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        timings: list[float] = []
        found = 0
        for q in range(queries):
            lat, lng, spread, _share = CITIES[q % len(CITIES)]
            point = (lat + rng.uniform(-spread, spread), lng + rng.uniform(-spread, spread))
            amenity = Amenity.WATER if q % 2 else None
            started = time.perf_counter()
            got = selectors.nearest(lat=point[0], lng=point[1], k=k, amenity=amenity, at=at)
            timings.append((time.perf_counter() - started) * 1000)
            found += len(got)
            if (q + 1) % 100 == 0:
                self.stdout.write(_("{q} queries").format(q=q + 1))
        return {
            "queries": queries,
            "k": k,
            "p50_ms": round(statistics.median(timings), 3),
            "p95_ms": round(_percentile(timings, 0.95), 3),
            "max_ms": round(max(timings), 3),
            "mean_results": round(found / queries, 2),
            "database": connection.vendor,
        }
