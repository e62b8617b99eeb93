"""What is filed: the appeals' specs (text, place, channel, worker, platform, time), drawn from one
generator with a constant seed, and the journey's appeals."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shegong.appeals.choices import Channel, State, Urgency, WorkerType
from shegong.appeals.demo import texts
from shegong.appeals.demo.places import STREET_RULES, County
from shegong.appeals.demo.rows import Actors, Record, Spec
from shegong.appeals.models import Category
from shegong.appeals.tracking import ALPHABET
from shegong.core import calendar
from shegong.divisions.choices import Level
from shegong.divisions.models import Division

SEED = "shegong demo appeals v1"
APPEALS = 3000
DAYS = 183

CATEGORY_WEIGHTS = {
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
API_REFS = {"美团": "MT", "饿了么": "ELM", "顺丰": "SF", "京东": "JD", "滴滴": "DD", "货拉拉": "HLL"}
_DISTRICT_WEIGHTS = {"210105000000": 45, "450103000000": 32, "150102000000": 23}
# Filing by hour of day: riders' rush hours and the evening.
_HOURS = (1, 1, 0.5, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3, 4, 5, 5.5, 5, 4.5, 4, 4, 4.5, 5, 5, 5.5, 5, 3.5, 2)
# Share of filings that carry coordinates (hotline calls never do; Open311 always).
_LOCATED: dict[str, float] = {Channel.H5: 0.55, Channel.API: 0.8, Channel.OPEN311: 1.0}
# Mobile number prefixes of the three operators; the digits after them are drawn.
_MOBILE_PREFIXES = ("13", "15", "18", "199", "166", "177")


def rng_for(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join([SEED, *map(str, parts)]).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))  # noqa: S311 (demo data, not secrets)


def demo_tracking_numbers(count: int = APPEALS) -> list[str]:
    """The demo appeals' tracking numbers, the same on every run (so a second run recognises its rows)."""
    rng = rng_for("tracking")
    numbers: list[str] = []
    seen: set[str] = set()
    while len(numbers) < count:
        chars = "".join(rng.choice(ALPHABET) for _ in range(9))
        number = f"{chars[:3]}-{chars[3:6]}-{chars[6:]}"
        if number not in seen:
            seen.add(number)
            numbers.append(number)
    return numbers


class Planner:
    """Draws the appeals' specs (what is filed) from one generator; the simulation draws their fate."""

    def __init__(self, *, anchor: dt.datetime, counties: list[County], categories: dict[str, Category]):
        self.rng = rng_for("plan")
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
        calm: bool = False,
    ) -> Spec:
        """One appeal's filing; `calm`: not one of the urgent situations (the journey's waiting appeals)."""
        rng = self.rng
        if county is None:
            code = self.pick(self._district_weights())
            county = next(c for c in self.counties if c.division.code == code)
        division = division or self.place(county)
        code = category or self.pick(CATEGORY_WEIGHTS)
        pool = texts.POOLS[code]
        # a worker type that has something to say in this category (streamers do not park e-bikes)
        types = [t for t in _WORKER_TYPES if any(not s.types or t[1] in s.types for s in pool.situations)]
        worker_type, letter, _ = rng.choices(types, weights=[t[2] for t in types])[0]
        fitting = [s for s in pool.situations if not s.types or letter in s.types]
        situation = rng.choice([s for s in fitting if not (calm and s.urgent)] or fitting)
        platform = self.pick(texts.PLATFORMS[letter])
        channel = self.pick(_CHANNELS)
        if channel in (Channel.API, Channel.OPEN311) and platform not in API_REFS:
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
            "estate": rng.choice(texts.ESTATES),
            "fine": str(rng.choice((20, 50, 50, 100, 200))),
            "rent": str(rng.choice((200, 300, 400, 500, 600))),
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
        located = _LOCATED.get(spec.channel, 0.0)
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


def _working_day_back(anchor: dt.datetime, n: int) -> dt.date:
    """The n-th working day before the anchor's date."""
    day = timezone.localtime(anchor).date()
    while n:
        day -= dt.timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_default_timezone())


def journey(planner: Planner, actors: Actors, anchor: dt.datetime) -> list[Spec]:
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
            specs.append(planner.spec(submitted_at=at, county=intake_county, calm=True))
            specs[-1].stop = State.SUBMITTED
        for _ in range(3):
            at = _at(_working_day_back(anchor, 1), rng.randint(18, 19), rng.randint(0, 59))
            specs.append(planner.spec(submitted_at=at, county=intake_county, calm=True))
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
                category=rng.choice(STREET_RULES),
            )
            spec.stop, spec.unit = stop, unit
            specs.append(spec)
    for spec in specs:
        spec.plain, spec.urgency = True, Urgency.NORMAL
        if spec.channel != Channel.HOTLINE:
            spec.channel = Channel.H5
    return specs


def duplicate_of(spec: Spec, recent: list[Record], rng: random.Random) -> Record | None:
    """An earlier appeal of the same category in the same street, filed in the last three days (whether it
    is still open when intake merges is the timeline's check)."""
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
