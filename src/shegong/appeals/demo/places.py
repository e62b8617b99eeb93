"""The demo districts' units as appeals see them, and their dispatch catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shegong.appeals import catalogue
from shegong.appeals.demo.rows import Spec
from shegong.appeals.models import Category, DispatchRule
from shegong.appeals.routing import route
from shegong.divisions.choices import Level, UnitType
from shegong.divisions.demo import COUNTIES
from shegong.divisions.models import Division, Unit
from shegong.stations.demo import DISTRICTS

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
STREET_RULES = ("ACCESS", "REST")  # the street office is the usual responsible body
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


def counties() -> list[County]:
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
                wanted += [(street, categories[code], office) for code in STREET_RULES]
    existing = set(DispatchRule.objects.values_list("division_id", "category_id"))
    added = 0
    for division, category, unit in wanted:
        if (division.pk, category.pk) not in existing:
            catalogue.dispatch_rule_set(
                actor=actor, division=division, category=category, unit=unit, replaces=None
            )
            added += 1
    return added


class Routes:
    """routing.route, asked once per street and category (the demo rules are at district and street)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], Unit | None] = {}

    def __call__(self, division: Division, category: Category) -> Unit | None:
        key = (division.code[:9], category.pk)
        if key not in self._cache:
            self._cache[key] = route(division=division, category=category)
        return self._cache[key]


def redispatch(spec: Spec, returned_by: Unit) -> Unit:
    """After a 退单 the dispatcher picks the other plausible department (else the social work department)."""
    units = spec.county.units
    unit = units.get(_AFTER_RETURN[spec.category.code])
    if unit is None or unit.pk == returned_by.pk:
        unit = units["swd"]
    return unit
