"""Two demo appeals about one problem, for the duplicate finder (shegong.smart.duplicates):

- two days ago a worker wrote on the H5 form that the guards of an estate in the demo handler's street no
  longer let e-bikes in; it went to that street's office and is 办理中 (the handler's queue);
- last night a hotline operator took the same complaint about the same estate from another worker (待受理,
  the intake account's queue): its desk page lists the first one under "possible duplicates", with a
  one-click merge.

Drawn from their own generator and written here, like the hotspot bursts. They take the place of the two
ordinary appeals filed last, so the demo keeps its APPEALS appeals and every appeal filed before those two
keeps its text and place (only fates after the first of the pair are drawn anew).
"""

from __future__ import annotations

import datetime as dt

from shegong.appeals.choices import Channel, State, Urgency
from shegong.appeals.demo import texts
from shegong.appeals.demo.places import County
from shegong.appeals.demo.plan import Planner, rng_for
from shegong.appeals.demo.rows import Actors, Spec
from shegong.divisions.models import Division

CATEGORY = "ACCESS"
SITUATION = 0  # "{estate}的保安不让电动车进小区，让我们把东西放在门口…"
# What makes it the same place: the estate, and the road and number of its address.
PLACE_SLOTS = ("estate", "road", "number", "landmark", "place")
# Written for the pair (demo content, not msgids): one incident in a worker's words and in an operator's.
FIRST = (
    "我是{platform}的{role}，{estate}的保安这几天突然不让电动车进小区了，我们只能把车停在东门外面走进去送，"
    "里面十几栋楼来回要十来分钟，这周已经超时好几单被罚了。希望街道跟物业协调一下，给我们留个通道。"
)
SECOND = (
    "来电人反映：其系{platform}{role}，{estate}小区的保安近日不让外卖、快递电动车进入，只能停在东门外步行送达，"
    "来回十来分钟，多次超时被罚，与保安沟通无果。诉求：请街道协调物业，给配送人员留个通道。"
)


def duplicate_specs(planner: Planner, actors: Actors, anchor: dt.datetime) -> list[Spec]:
    """The pair (see the module docstring); none when the demo handler or the category is missing."""
    unit = actors.handler_unit
    county = next(
        (c for c in planner.counties if unit is not None and unit.division_id.startswith(c.division.prefix)),
        None,
    )
    if unit is None or county is None or CATEGORY not in planner.categories:
        return []
    own = Planner(anchor=anchor, counties=planner.counties, categories=planner.categories)
    own.rng = rng_for("duplicates")
    places = [d for d in county.communities if d.code.startswith(unit.division.prefix)] or [unit.division]
    first = _spec(
        own,
        county,
        own.rng.choice(places),
        anchor - dt.timedelta(days=2) + dt.timedelta(hours=10, minutes=20),
    )
    first.stop, first.unit, first.channel = State.IN_PROGRESS, unit, Channel.H5
    second = _spec(own, county, own.rng.choice(places), anchor - dt.timedelta(minutes=55))
    second.stop, second.channel = State.SUBMITTED, Channel.HOTLINE
    second.slots.update({name: first.slots[name] for name in PLACE_SLOTS})
    for spec, text in ((first, FIRST), (second, SECOND)):
        spec.plain, spec.urgency = True, Urgency.NORMAL
        spec.text = text.format(**spec.slots)
        spec.address, spec.lat, spec.lng = own.address(spec)
    return [first, second]


def _spec(planner: Planner, county: County, division: Division, at: dt.datetime) -> Spec:
    situation = texts.POOLS[CATEGORY].situations[SITUATION]
    spec = planner.spec(submitted_at=at, county=county, division=division, category=CATEGORY)
    while situation.types and spec.letter not in situation.types:  # couriers and riders, not streamers
        spec = planner.spec(submitted_at=at, county=county, division=division, category=CATEGORY)
    spec.situation = situation
    return spec


def make_room(specs: list[Spec], extra: list[Spec]) -> list[Spec]:
    """`specs` with `extra` in place of as many ordinary appeals (neither written nor the journey's), the
    latest first: the main generator draws texts in filing order, so nothing filed before them changes."""
    ordinary = sorted(
        (i for i, spec in enumerate(specs) if not spec.text and not spec.plain),
        key=lambda i: specs[i].submitted_at,
    )
    dropped = set(ordinary[len(ordinary) - len(extra) :]) if extra else set()
    return [spec for i, spec in enumerate(specs) if i not in dropped] + extra
