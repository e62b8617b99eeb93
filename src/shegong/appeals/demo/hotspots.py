"""Demo appeals that pile up the way hotspots do, for the hotspot job (未诉先办, shegong.smart.hotspots).

Three bursts, drawn from their own generator (the rest of the demo keeps its draws) and filed like any
other demo appeal (channels, workers, fates):

- CLUSTER: this week, seven riders and couriers in one street of 青秀区 write that the guards of one estate
  no longer let e-bikes in — similar appeals in one street;
- SURGE: this week, disputes in 新城区 rise well above their usual weekly number, spread over its streets;
- HISTORY: five weeks ago, six workers in one street of 皇姑区 were fined for stopping at one mall's door —
  the alert the demo's governance task was made from (fewer such appeals came since).

Each burst replaces as many ordinary appeals, so the demo keeps its APPEALS appeals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from shegong.appeals.demo import texts
from shegong.appeals.demo.places import County
from shegong.appeals.demo.plan import Planner, rng_for
from shegong.appeals.demo.rows import Spec
from shegong.divisions.choices import Level
from shegong.divisions.models import Division


@dataclass(frozen=True)
class Burst:
    county: str  # county code
    street: int | None  # index of the street in the county (None: anywhere in the county)
    category: str
    situation: int | None  # index of the category's situation (None: any, as ordinary appeals)
    slot: str  # the placeholder naming the one place they are all about ("" for none) …
    place: str  # … and that place
    when: tuple[tuple[int, int, int], ...]  # (days before the run date, hour, minute), one per appeal


CLUSTER = Burst(
    county="450103000000",
    street=1,
    category="ACCESS",
    situation=0,  # "{estate}的保安不让电动车进小区…"
    slot="estate",
    place="翠湖花园",
    when=((6, 9, 40), (5, 12, 5), (4, 18, 30), (3, 11, 15), (3, 19, 50), (2, 13, 20), (1, 10, 45)),
)
SURGE = Burst(
    county="150102000000",
    street=None,
    category="DISPUTE",
    situation=None,
    slot="",
    place="",
    when=((6, 15, 10), (5, 20, 40), (4, 9, 55), (3, 14, 25), (2, 17, 35), (1, 12, 50)),
)
HISTORY = Burst(
    county="210105000000",
    street=2,
    category="PARKING",
    situation=0,  # "我的{vehicle}停在{landmark}门口送个单，出来就被贴了罚单…"
    slot="landmark",
    place="万象汇",
    when=((35, 11, 20), (34, 12, 40), (33, 18, 5), (32, 12, 15), (31, 19, 30), (30, 11, 50)),
)
BURSTS = (CLUSTER, SURGE, HISTORY)
# The history's alert is found as of this many days before the run date (its week then just ended).
HISTORY_DAYS_BACK = 29


def burst_street(burst: Burst) -> Division | None:
    """The street a burst is about (the hotspot demo makes its task there)."""
    if burst.street is None:
        return None
    streets = list(Division.objects.filter(parent_id=burst.county, level=Level.STREET).order_by("code"))
    return streets[burst.street] if len(streets) > burst.street else None


def hotspot_specs(planner: Planner, anchor: dt.datetime) -> list[Spec]:
    """The bursts' appeals, texts and addresses written (the main planner leaves them as they are)."""
    burster = Planner(anchor=anchor, counties=planner.counties, categories=planner.categories)
    burster.rng = rng_for("hotspots")
    specs: list[Spec] = []
    for burst in BURSTS:
        county = next((c for c in planner.counties if c.division.code == burst.county), None)
        if county is None or burst.category not in planner.categories:
            continue
        specs += _burst(burster, county, burst, anchor)
    return specs


def _burst(planner: Planner, county: County, burst: Burst, anchor: dt.datetime) -> list[Spec]:
    rng = planner.rng
    street = county.streets[burst.street] if burst.street is not None else None
    # the street's communities; None: anywhere in the county, as ordinary appeals
    places: list[Division | None] = [
        c for c in county.communities if street and c.code.startswith(street.prefix)
    ] or [street]
    pool = texts.POOLS[burst.category]
    situation = pool.situations[burst.situation] if burst.situation is not None else None
    lat = Decimal(f"{county.lat + rng.uniform(-0.02, 0.02):.6f}")
    lng = Decimal(f"{county.lng + rng.uniform(-0.03, 0.03):.6f}")
    number = str(rng.randint(1, 399))
    specs = []
    for days, hour, minute in burst.when:
        day = timezone.localtime(anchor).date() - dt.timedelta(days=days)
        at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())
        division = rng.choice(places)
        spec = planner.spec(submitted_at=at, county=county, division=division, category=burst.category)
        # a worker whom the situation fits (couriers, not streamers, park e-bikes)
        while situation is not None and situation.types and spec.letter not in situation.types:
            spec = planner.spec(submitted_at=at, county=county, division=division, category=burst.category)
        if situation is not None:
            spec.situation = situation
            spec.slots[burst.slot], spec.slots["number"] = burst.place, number
        spec.text = planner.text(spec)
        spec.address, spec.lat, spec.lng = planner.address(spec)
        if burst.place and spec.address:
            # one place: its address, and coordinates a few metres apart when the phone sent them
            spec.address = f"{county.city}{spec.slots['road']}{number}号{burst.place}"
            if spec.lat is not None:
                spec.lat = lat + Decimal(f"{rng.uniform(-0.0004, 0.0004):.6f}")
                spec.lng = lng + Decimal(f"{rng.uniform(-0.0004, 0.0004):.6f}")
        specs.append(spec)
    return specs
