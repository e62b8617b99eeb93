"""Demo appeals: the three demo districts as a working 接诉即办 centre.

Run by `shegong demo` after the demo divisions, units, stations and accounts (ops/demo_data.py). It seeds

- the dispatch catalogue of the three districts: one district rule per category to the department that
  handles it, and at every street ACCESS and REST → the street office (through `catalogue.dispatch_rule_set`
  by demo_admin, so the rules are audited like an administrator's);
- about 3,000 appeals filed over the last 183 days, every one with the timeline the services would have
  written: accept or reject or merge, dispatch (by the catalogue, or the dispatcher's choice of a platform
  branch or a specialist unit), 退单 and re-dispatch, sign-for, first contact, 延期, reply, rating with 重办,
  unrated closing, withdrawal, 督办 by the leader, and the SLA sweep's warnings, reminders, 催办 and 督办
  with their marks. A few units are reliably on time, a few reliably late (so the rates differ and open
  appeals are overdue now); a few closed appeals are excluded from the rates.

Deterministic: all choices come from a random generator with a constant seed; times are offsets from the
local midnight of the run date, so two runs on the same date write the same rows. Idempotent: the
tracking numbers are derived from the constant seed, and when any of them exists the appeals are left
alone (a demo database keeps the appeals of its first run; `shegong demo --reset` makes them fresh).

Rows are written with bulk_create for speed. They pass the model's field validation and the database's
check constraints (merged → target, dispatched → unit); no audit rows are written for the history, which
stands for work done before the audit trail of this installation began.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from shegong.appeals import catalogue
from shegong.appeals.choices import (
    Channel,
    Satisfaction,
    State,
    Urgency,
    WorkerType,
)
from shegong.appeals.data import demo_texts as texts
from shegong.appeals.demo_timeline import Actors, Record, Simulation, Spec
from shegong.appeals.models import (
    Appeal,
    AppealEvent,
    Category,
    DispatchRule,
    ExtensionRequest,
    RateExclusion,
    ReturnRecord,
    SlaMark,
    Supervision,
)
from shegong.appeals.routing import route
from shegong.appeals.tracking import ALPHABET
from shegong.core import calendar
from shegong.divisions.choices import Level, UnitType
from shegong.divisions.demo import COUNTIES
from shegong.divisions.models import Division, Unit
from shegong.stations.demo import DISTRICTS

__all__ = ["APPEALS", "DAYS", "SEED", "demo_tracking_numbers", "seed_demo_appeals"]

SEED = "shegong demo appeals v1"
APPEALS = 3000
DAYS = 183

# County departments by their role in routing (names as divisions.demo makes them).
_DEPARTMENTS = {
    "hrss": "{county}人力资源和社会保障局",
    "traffic": "{city_short}市公安局{county_short}分局交通警察大队",
    "housing": "{county}住房和城乡建设局",
    "urban": "{county}城市管理综合行政执法局",
    "health": "{county}卫生健康局",
    "justice": "{county}司法局",
    "union": "{county}总工会",
    "swd": "{county}委社会工作部",
}
# The district rule per category, and where an appeal goes after its unit returned it (退单).
_DISTRICT_RULES = {
    "WAGE": "hrss",
    "PLATFORM": "union",
    "INSURANCE": "hrss",
    "CONTRACT": "union",
    "ACCESS": "housing",
    "PARKING": "traffic",
    "REST": "union",
    "LIVING": "housing",
    "HEALTH": "health",
    "DISPUTE": "justice",
    "SKILL": "hrss",
    "PARTICIPATION": "swd",
}
_STREET_RULES = ("ACCESS", "REST")  # the street office is the usual responsible body
_AFTER_RETURN = {
    "WAGE": "union",
    "PLATFORM": "hrss",
    "INSURANCE": "union",
    "CONTRACT": "hrss",
    "ACCESS": "urban",
    "PARKING": "urban",
    "REST": "swd",
    "LIVING": "urban",
    "HEALTH": "swd",
    "DISPUTE": "union",
    "SKILL": "union",
    "PARTICIPATION": "union",
}
# Platform name → the prefix of its local branch unit (divisions.demo.PLATFORM_BRANCHES).
_BRANCHES = {
    "美团": "美团外卖",
    "饿了么": "饿了么",
    "顺丰": "顺丰速运",
    "京东": "京东物流",
    "滴滴": "滴滴出行",
    "货拉拉": "货拉拉",
}
_CATEGORY_WEIGHTS = {
    "WAGE": 15,
    "PLATFORM": 15,
    "INSURANCE": 8,
    "CONTRACT": 6,
    "ACCESS": 12,
    "PARKING": 12,
    "REST": 8,
    "LIVING": 6,
    "HEALTH": 5,
    "DISPUTE": 7,
    "SKILL": 3,
    "PARTICIPATION": 3,
}
_WORKER_TYPES = (
    (WorkerType.FOOD_DELIVERY, texts.FOOD, 42),
    (WorkerType.COURIER, texts.COURIER, 25),
    (WorkerType.RIDE_HAILING, texts.RIDE, 14),
    (WorkerType.TRUCK, texts.TRUCK, 7),
    (WorkerType.DESIGNATED_DRIVER, texts.DRIVER, 5),
    (WorkerType.STREAMER, texts.STREAMER, 3),
    (WorkerType.OTHER, texts.OTHER, 4),
)
_CHANNELS = ((Channel.H5, 66), (Channel.HOTLINE, 20), (Channel.API, 9), (Channel.OPEN311, 5))
_API_REFS = {"美团": "MT", "饿了么": "ELM", "顺丰": "SF", "京东": "JD", "滴滴": "DD", "货拉拉": "HLL"}
_DISTRICT_WEIGHTS = {"210105000000": 45, "450103000000": 32, "150102000000": 23}
# Filing by hour of day: riders' rush hours and the evening.
_HOURS = (1, 1, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3, 4, 5, 5.5, 5, 4.5, 4, 4, 4.5, 5, 5, 5.5, 5, 3.5, 2)
# Mobile prefixes of the three operators; the eight digits after them are drawn.
_MOBILE_PREFIXES = ("13", "15", "18", "199", "166", "177")


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join([SEED, *map(str, parts)]).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))  # noqa: S311 (demo data, not secrets)


def demo_tracking_numbers(count: int = APPEALS) -> list[str]:
    """The demo appeals' tracking numbers, the same on every run (so a second run recognises its rows)."""
    rng = _rng("tracking")
    numbers: list[str] = []
    seen: set[str] = set()
    while len(numbers) < count:
        chars = "".join(rng.choice(ALPHABET) for _ in range(9))
        number = f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


# --- places and units -----------------------------------------------------------------------------------


@dataclass
class County:
    division: Division
    city: str  # "沈阳市皇姑区", the start of an address
    lat: float
    lng: float
    streets: list[Division]
    communities: list[Division]
    units: dict[str, Unit]  # _DEPARTMENTS keys
    offices: dict[str, Unit]  # street code → its street office
    branches: dict[str, Unit]  # platform name → its local branch
    social_orgs: list[Unit]
    intake_label: str  # who accepts and dispatches where no demo account does


def _counties() -> list[County]:
    centres = {d.code: d for d in DISTRICTS}
    counties = []
    for spec in COUNTIES:
        code, name = spec.county
        division = Division.objects.filter(code=code).select_related("parent").first()
        if division is None:
            continue
        units = {
            u.name: u
            for u in Unit.all_objects.filter(division__code__startswith=division.prefix, is_active=True)
            .select_related("division__parent")
            .order_by("pk")
        }
        names = {"county": name, "county_short": name.removesuffix("区"), "city_short": spec.city_short}
        departments = {
            key: units[t.format(**names)] for key, t in _DEPARTMENTS.items() if t.format(**names) in units
        }
        below = Division.objects.filter(code__startswith=division.prefix).select_related("parent")
        streets = list(below.filter(parent=division, level=Level.STREET).order_by("code"))
        communities = list(below.filter(level=Level.COMMUNITY).order_by("code"))
        offices = {u.division_id: u for u in units.values() if u.unit_type == UnitType.STREET_OFFICE}
        branches = {
            platform: unit
            for platform, prefix in _BRANCHES.items()
            for unit in units.values()
            if unit.unit_type == UnitType.PLATFORM_ENTERPRISE and unit.name.startswith(prefix)
        }
        centre = centres[code]
        counties.append(
            County(
                division=division,
                city=centre.city,
                lat=centre.lat,
                lng=centre.lng,
                streets=streets,
                communities=communities,
                units=departments,
                offices=offices,
                branches=branches,
                social_orgs=[u for u in units.values() if u.unit_type == UnitType.SOCIAL_WORK_ORG],
                intake_label=f"{name}诉求受理中心",
            )
        )
    return counties


def seed_demo_rules(*, actor: Any, counties: list[County], categories: dict[str, Category]) -> int:
    """The three districts' dispatch catalogue; a (division, category) that already has a rule, active or
    not, is left as an administrator left it. Returns how many rules were added."""
    wanted: list[tuple[Division, Category, Unit]] = []
    for county in counties:
        for code, key in _DISTRICT_RULES.items():
            if key in county.units:
                wanted.append((county.division, categories[code], county.units[key]))
        for street in county.streets:
            office = county.offices.get(street.code)
            if office is not None:
                wanted += [(street, categories[code], office) for code in _STREET_RULES]
    existing = set(DispatchRule.objects.values_list("division_id", "category_id"))
    added = 0
    for division, category, unit in wanted:
        if (division.pk, category.pk) not in existing:
            catalogue.dispatch_rule_set(
                actor=actor, division=division, category=category, unit=unit, replaces=None
            )
            added += 1
    return added


# --- the plan: who files what, where and when -----------------------------------------------------------


class Planner:
    """Draws the appeals' specs (what is filed) from one generator; the simulation draws their fate."""

    def __init__(self, *, anchor: dt.datetime, counties: list[County], categories: dict[str, Category]):
        self.rng = _rng("plan")
        self.anchor = anchor
        self.counties = counties
        self.categories = categories
        self.regulars = [self.phone() for _ in range(80)]  # workers who file more than once

    def phone(self) -> str:
        prefix = self.rng.choice(_MOBILE_PREFIXES)
        return prefix + "".join(self.rng.choice("0123456789") for _ in range(11 - len(prefix)))

    def pick(self, weighted: Any) -> Any:
        items = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
        return self.rng.choices([i[0] for i in items], weights=[i[-1] for i in items])[0]

    def when(self) -> dt.datetime:
        # More appeals lately (the centre became known): twice as many a day now as half a year ago; none
        # today (the history ends at the anchor).
        days = list(range(1, DAYS + 1))
        weights = [1.0 + (DAYS - d) / DAYS for d in days]
        offset = self.rng.choices(days, weights=weights)[0]
        hour = self.rng.choices(range(24), weights=_HOURS)[0]
        minute = self.rng.randrange(60)
        day = self.anchor - dt.timedelta(days=offset)
        return day.replace(hour=hour, minute=minute, second=self.rng.randrange(60))

    def place(self, county: County) -> Division:
        roll = self.rng.random()
        if roll < 0.03:
            return county.division
        if roll < 0.12:
            return self.rng.choice(county.streets)
        return self.rng.choice(county.communities)

    def spec(
        self,
        *,
        submitted_at: dt.datetime,
        county: County | None = None,
        division: Division | None = None,
        category: str | None = None,
    ) -> Spec:
        rng = self.rng
        if county is None:
            code = self.pick(self._district_weights())
            county = next(c for c in self.counties if c.division.code == code)
        division = division or self.place(county)
        code = category or self.pick(_CATEGORY_WEIGHTS)
        pool = texts.POOLS[code]
        # a worker type that has something to say in this category (streamers do not park e-bikes)
        types = [t for t in _WORKER_TYPES if any(not s.types or t[1] in s.types for s in pool.situations)]
        worker_type, letter, _ = rng.choices(types, weights=[t[2] for t in types])[0]
        situation = rng.choice([s for s in pool.situations if not s.types or letter in s.types])
        platform = self.pick(texts.PLATFORMS[letter])
        channel = self.pick(_CHANNELS)
        if channel in (Channel.API, Channel.OPEN311) and platform not in _API_REFS:
            channel = Channel.H5
        urgent = rng.random() < (0.75 if situation.urgent else 0.05)
        return Spec(
            county=county,
            division=division,
            category=self.categories[code],
            pool=pool,
            situation=situation,
            worker_type=worker_type,
            letter=letter,
            platform=platform,
            channel=channel,
            urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
            appeal_type=situation.appeal_type or self.pick(pool.types),
            submitted_at=submitted_at,
            phone=rng.choice(self.regulars) if rng.random() < 0.12 else self.phone(),
            anonymous=rng.random() < 0.12,
            slots=self.slots(county, division, letter, platform),
        )

    def _district_weights(self) -> dict[str, int]:
        present = {c.division.code for c in self.counties}
        return {code: w for code, w in _DISTRICT_WEIGHTS.items() if code in present}

    def slots(self, county: County, division: Division, letter: str, platform: str) -> dict[str, str]:
        rng = self.rng
        stem = (
            division.name.removesuffix("社区").removesuffix("街道") if division.level > Level.COUNTY else ""
        )
        if not stem:
            stem = rng.choice(county.streets).name.removesuffix("街道")
        road = stem if stem.endswith("路") else f"{stem}路"
        landmark = rng.choice(texts.LANDMARKS)
        return {
            **texts.VOCABULARY[letter],
            "platform": platform,
            "road": road,
            "landmark": landmark,
            "place": f"{road}{landmark}",
            "amount": str(rng.choice((300, 500, 800, 1200, 1500, 2000, 2600, 3000, 4800, 6000))),
            "n": rng.choice(("两", "三", "四")),
            "number": str(rng.randint(1, 399)),
        }

    def text(self, spec: Spec, situation: texts.Situation | None = None) -> str:
        rng = self.rng
        situation = situation or spec.situation
        pool = spec.pool
        hotline = spec.channel == Channel.HOTLINE
        opener = rng.choice(texts.HOTLINE_OPENERS if hotline else texts.OPENERS)
        details = list(situation.details or pool.details)
        chosen = rng.sample(details, k=min(len(details), rng.choice((0, 1, 1, 2))))
        ask = rng.choice(situation.asks or pool.asks)
        body = situation.text + "".join(chosen)
        if hotline:
            return f"{opener}{_third_person(body)}诉求：{_third_person(ask)}".format(**spec.slots)
        return (opener + body + ask).format(**spec.slots)

    def address(self, spec: Spec) -> tuple[str, Decimal | None, Decimal | None]:
        rng = self.rng
        slots = spec.slots
        address = f"{spec.county.city}{slots['road']}{slots['number']}号{slots['landmark']}"
        if spec.channel == Channel.HOTLINE and rng.random() < 0.2:
            address = ""
        located = {Channel.H5: 0.55, Channel.API: 0.8, Channel.OPEN311: 1.0}.get(spec.channel, 0.0)
        if rng.random() >= located and address:
            return address, None, None
        lat = Decimal(f"{spec.county.lat + rng.uniform(-0.03, 0.03):.6f}")
        lng = Decimal(f"{spec.county.lng + rng.uniform(-0.04, 0.04):.6f}")
        return address, lat, lng


def _third_person(text: str) -> str:
    """The worker's words as a hotline operator writes them down (工单 style)."""
    for mine, theirs in (
        ("我们", "他们"),
        ("我的", "其"),
        ("让我", "让其"),
        ("给我", "给其"),
        ("帮我", "帮其"),
        ("我", "其"),
    ):
        text = text.replace(mine, theirs)
    return text


# --- the run --------------------------------------------------------------------------------------------


def _actors() -> Actors:
    """The demo accounts by role (the first active demo account holding the role)."""
    from shegong.accounts.choices import Role
    from shegong.accounts.models import Grant

    def grant(role: str) -> Any:
        return (
            Grant.objects.filter(role=role, is_active=True, user__is_demo=True, user__is_active=True)
            .select_related("user", "division", "unit__division__parent")
            .order_by("user_id", "pk")
            .first()
        )

    actors = Actors()
    if (admin := grant(Role.PLATFORM_ADMIN)) is not None:
        actors.admin = admin.user
    if (leader := grant(Role.LEADER)) is not None:
        actors.leader = leader.user
    if (intake := grant(Role.INTAKE)) is not None and intake.division_id:
        actors.intake, actors.intake_prefix = intake.user, intake.prefix
    if (handler := grant(Role.HANDLER)) is not None and handler.unit_id:
        actors.handler, actors.handler_unit = handler.user, handler.unit
    return actors


def _working_day_back(anchor: dt.datetime, n: int) -> dt.date:
    """The n-th working day before the anchor's date."""
    day = timezone.localtime(anchor).date()
    while n:
        day -= dt.timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())


def _journey(planner: Planner, actors: Actors, anchor: dt.datetime) -> list[Spec]:
    """Appeals that wait where the demo journey needs them: in the intake account's queues (待受理, 待派单)
    and in the handler account's (待签收, 办理中, 已答复)."""
    rng, specs = planner.rng, []
    intake_county = next(
        (
            c
            for c in planner.counties
            if actors.intake_prefix and c.division.code.startswith(actors.intake_prefix[:6])
        ),
        None,
    )
    if intake_county is not None:
        for _ in range(4):
            at = anchor - dt.timedelta(minutes=rng.randint(15, 140))
            specs.append(planner.spec(submitted_at=at, county=intake_county))
            specs[-1].stop = State.SUBMITTED
        for _ in range(3):
            at = _at(_working_day_back(anchor, 1), rng.randint(18, 19), rng.randint(0, 59))
            specs.append(planner.spec(submitted_at=at, county=intake_county))
            specs[-1].stop = State.ACCEPTED
    unit = actors.handler_unit
    county = next(
        (c for c in planner.counties if unit and unit.division_id.startswith(c.division.prefix)), None
    )
    if unit is not None and county is not None:
        places = [d for d in county.communities if d.code.startswith(unit.division.prefix)] or [unit.division]
        waits = [(State.DISPATCHED, 1, 13)] * 3 + [(State.IN_PROGRESS, n, 9) for n in (1, 2, 4, 7)]
        waits += [(State.REPLIED, n, 9) for n in (2, 3, 3)]
        for stop, days_back, hour in waits:
            at = _at(_working_day_back(anchor, days_back), hour + rng.randint(0, 2), rng.randint(0, 59))
            spec = planner.spec(
                submitted_at=at,
                county=county,
                division=rng.choice(places),
                category=rng.choice(_STREET_RULES),
            )
            spec.stop, spec.unit, spec.plain = stop, unit, True
            spec.urgency = Urgency.NORMAL
            specs.append(spec)
    for spec in specs:
        spec.plain = True
        if spec.channel != Channel.HOTLINE:
            spec.channel = Channel.H5
    return specs


def _duplicate_of(spec: Spec, recent: list[Record], rng: random.Random) -> Record | None:
    """An earlier appeal of the same category and place filed in the last three days, if any is open."""
    since = spec.submitted_at - dt.timedelta(days=3)
    street = spec.division.code[:9]
    for rec in reversed(recent):
        if rec.spec.submitted_at < since:
            break
        other = rec.spec
        if (
            other.category.pk == spec.category.pk
            and other.division.code[:9] == street
            and rec.merged_into is None
            and rec.appeal.state not in (State.REJECTED, State.MERGED)
            and rng.random() < 0.8
        ):
            return rec
    return None


def _exclusions(
    records: list[Record], actors: Actors, anchor: dt.datetime, rng: random.Random
) -> list[RateExclusion]:
    """A few closed appeals judged 不合理诉求 after review."""
    if actors.leader is None:
        return []
    closed = [
        r
        for r in records
        if r.appeal.state == State.CLOSED
        and r.appeal.closed_at is not None
        and r.appeal.closed_at + dt.timedelta(days=6) < anchor
        and (r.appeal.redo_count or r.appeal.satisfaction != Satisfaction.SATISFIED)
    ]
    chosen = rng.sample(closed, k=min(8, len(closed)))
    return [
        RateExclusion(
            appeal=r.appeal,
            reason=rng.choice(texts.EXCLUSION_REASONS),
            by=actors.leader,
            at=r.appeal.closed_at + dt.timedelta(days=rng.uniform(1, 5)),
        )
        for r in chosen
    ]


class _Routes:
    """routing.route, asked once per street and category (the demo rules are at district and street)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], Unit | None] = {}

    def __call__(self, division: Division, category: Category) -> Unit | None:
        key = (division.code[:9], category.pk)
        if key not in self._cache:
            self._cache[key] = route(division=division, category=category)
        return self._cache[key]


def _redispatch(spec: Spec, returned_by: Unit) -> Unit:
    """After a 退单 the dispatcher picks the other plausible department (else the social work department)."""
    units = spec.county.units
    unit = units.get(_AFTER_RETURN[spec.category.code])
    if unit is None or unit.pk == returned_by.pk:
        unit = units["swd"]
    return unit


def seed_demo_appeals(*, today: dt.date | None = None) -> dict[str, int]:
    """Seed the demo dispatch rules and appeals (see the module docstring); a second run changes nothing.

    `today` is the run date (default: today, local time); the history ends at its midnight. Returns counts:
    rules added, appeals, events written (0 appeals when the demo appeals already exist)."""
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        counties = _counties()
        categories = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
        if not counties or set(_CATEGORY_WEIGHTS) - set(categories):
            return {"rules": 0, "appeals": 0, "events": 0}
        actors = _actors()
        rules = (
            seed_demo_rules(actor=actors.admin, counties=counties, categories=categories)
            if actors.admin
            else 0
        )
        numbers = demo_tracking_numbers()
        if Appeal.all_objects.filter(tracking_no__in=numbers).exists():
            return {"rules": rules, "appeals": 0, "events": 0}
        day = today or timezone.localdate()
        anchor = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
        records = _simulate(anchor, counties, categories, actors, numbers)
        exclusions = _exclusions(records, actors, anchor, _rng("exclusions"))
        events = _write(records, exclusions)
    return {"rules": rules, "appeals": len(records), "events": events}


def _simulate(
    anchor: dt.datetime,
    counties: list[County],
    categories: dict[str, Category],
    actors: Actors,
    numbers: list[str],
) -> list[Record]:
    planner = Planner(anchor=anchor, counties=counties, categories=categories)
    journey = _journey(planner, actors, anchor)
    specs = [planner.spec(submitted_at=planner.when()) for _ in range(APPEALS - len(journey))] + journey
    specs.sort(key=lambda s: s.submitted_at)
    simulation = Simulation(
        anchor=anchor, actors=actors, rng=_rng("fate"), route=_Routes(), redispatch=_redispatch
    )
    records: list[Record] = []
    for index, (spec, number) in enumerate(zip(specs, numbers, strict=True)):
        if not spec.plain and planner.rng.random() < 0.04:
            target = _duplicate_of(spec, records, planner.rng)
            if target is not None:  # the same problem at the same place, told by a workmate
                spec.merge_into = target
                for name in ("situation", "worker_type", "letter", "platform"):
                    setattr(spec, name, getattr(target.spec, name))
                spec.slots = dict(target.spec.slots)
                if spec.platform not in _API_REFS:
                    spec.channel = Channel.H5 if spec.channel != Channel.HOTLINE else spec.channel
        spec.text = planner.text(spec)
        spec.address, spec.lat, spec.lng = planner.address(spec)
        if spec.channel in (Channel.API, Channel.OPEN311):
            local = timezone.localtime(spec.submitted_at)
            spec.source_ref = f"{_API_REFS[spec.platform]}{local:%Y%m%d}{index:05d}"
        records.append(simulation.run(spec, number))
    return records


def _write(records: list[Record], exclusions: list[RateExclusion]) -> int:
    """Save everything in bulk: appeals first (merged ones after their targets have keys), then children.
    Field validation runs on every row; foreign keys and the check constraints are the database's."""
    appeal_fks = ["category", "division", "unit", "filed_by", "merged_into"]
    for rec in records:
        rec.appeal.clean_fields(exclude=appeal_fks)
    plain = [r.appeal for r in records if r.merged_into is None]
    Appeal.all_objects.bulk_create(plain, batch_size=500)
    merged = []
    for rec in records:
        if rec.merged_into is not None:
            rec.appeal.merged_into = rec.merged_into.appeal
            merged.append(rec.appeal)
    Appeal.all_objects.bulk_create(merged, batch_size=500)
    if any(a.pk is None for a in plain + merged):  # a backend that does not return keys from bulk inserts
        keys = dict(
            Appeal.all_objects.filter(tracking_no__in=[r.appeal.tracking_no for r in records]).values_list(
                "tracking_no", "pk"
            )
        )
        for rec in records:
            rec.appeal.pk = keys[rec.appeal.tracking_no]
    rows: dict[type, list[Any]] = {}
    for rec in records:
        for child in rec.children():
            child.appeal = rec.appeal
            child.clean_fields(
                exclude=["appeal", "actor", "by", "unit", "level", "requested_by", "decided_by"]
            )
            rows.setdefault(type(child), []).append(child)
    for model in (AppealEvent, ReturnRecord, ExtensionRequest, Supervision, SlaMark):
        model.objects.bulk_create(rows.get(model, []), batch_size=1000)
    RateExclusion.objects.bulk_create(exclusions)
    return len(rows.get(AppealEvent, []))
