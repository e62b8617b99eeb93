"""The demo jurisdiction: three real counties with generated streets, communities and units.

Province, city and county codes are the real ones (辽宁省/沈阳市/皇姑区 210105, 广西壮族自治区/南宁市/青秀区
450103, 内蒙古自治区/呼和浩特市/新城区 150102). Streets and communities below them are generated from fixed
name lists, so every run produces the same codes and names; every generated row is `is_demo=True`.

Seeding is idempotent: rows are looked up by their natural key (division code; unit division + name) and
only created or corrected. Rows that exist without the demo mark (an official import) are left alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from stdnum.cn import uscc as stdnum_uscc

from shegong.divisions import codes
from shegong.divisions.choices import UnitType
from shegong.divisions.models import Division, Unit


@dataclass(frozen=True)
class _County:
    province: tuple[str, str]  # (code, name)
    city: tuple[str, str]
    county: tuple[str, str]
    province_sw_dept: str  # 省委/自治区党委社会工作部
    city_short: str  # "沈阳" as used in police and branch names
    area_code: str  # telephone area code
    streets: tuple[tuple[str, tuple[str, ...]], ...]  # (street name, its communities' stems)
    sw_orgs: tuple[str, ...]  # social work organisations' distinctive names


COUNTIES: tuple[_County, ...] = (
    _County(
        province=("210000000000", "辽宁省"),
        city=("210100000000", "沈阳市"),
        county=("210105000000", "皇姑区"),
        province_sw_dept="辽宁省委社会工作部",
        city_short="沈阳",
        area_code="024",
        streets=(
            ("华山街道", ("华山", "岐山", "嵩山", "泰山")),
            ("黄河街道", ("黄河", "长江", "淮河")),
            ("寿泉街道", ("寿泉", "百合", "明珠", "锦绣", "文华")),
            ("三台子街道", ("三台子", "怒江", "东北")),
            ("明廉街道", ("明廉", "陵东", "北塔", "北陵")),
        ),
        sw_orgs=("启航", "益家"),
    ),
    _County(
        province=("450000000000", "广西壮族自治区"),
        city=("450100000000", "南宁市"),
        county=("450103000000", "青秀区"),
        province_sw_dept="广西壮族自治区党委社会工作部",
        city_short="南宁",
        area_code="0771",
        streets=(
            ("新竹街道", ("新竹", "桃源", "七星")),
            ("中山街道", ("中山", "民主", "古城", "当阳")),
            ("津头街道", ("津头", "凤岭", "东盟")),
            ("南湖街道", ("南湖", "金湖", "双拥", "青山", "滨湖")),
            ("建政街道", ("建政", "茅桥", "厢竹")),
            ("仙葫街道", ("仙葫", "蒲庙", "那马", "五合")),
        ),
        sw_orgs=("邕城", "绿城"),
    ),
    _County(
        province=("150000000000", "内蒙古自治区"),
        city=("150100000000", "呼和浩特市"),
        county=("150102000000", "新城区"),
        province_sw_dept="内蒙古自治区党委社会工作部",
        city_short="呼和浩特",
        area_code="0471",
        streets=(
            ("海东路街道", ("海东", "光明", "新华")),
            ("锡林南路街道", ("锡林", "青城", "公园", "北垣", "丁香")),
            ("东街街道", ("东街", "苗圃", "建华", "团结")),
            ("迎新路街道", ("迎新", "满都海", "兴安")),
        ),
        sw_orgs=("青城", "北疆"),
    ),
)

# County departments that appeals are routed to: (name template, unit type). 总工会 is a mass
# organisation, not a government department, hence OTHER.
COUNTY_DEPARTMENTS: tuple[tuple[str, UnitType], ...] = (
    ("{county}人力资源和社会保障局", UnitType.GOVERNMENT_DEPT),
    ("{city_short}市公安局{county_short}分局交通警察大队", UnitType.GOVERNMENT_DEPT),
    ("{county}住房和城乡建设局", UnitType.GOVERNMENT_DEPT),
    ("{county}城市管理综合行政执法局", UnitType.GOVERNMENT_DEPT),
    ("{county}卫生健康局", UnitType.GOVERNMENT_DEPT),
    ("{county}司法局", UnitType.GOVERNMENT_DEPT),
    ("{county}总工会", UnitType.OTHER),
)

# Platform enterprises' local branches (分公司/站点), each with its own USCC.
PLATFORM_BRANCHES: tuple[str, ...] = (
    "美团外卖{city_short}{county}配送站",
    "饿了么{city_short}{county}配送站",
    "顺丰速运{city_short}{county}营业部",
    "京东物流{city_short}{county}营业部",
    "滴滴出行{city_short}{county}司机服务中心",
    "货拉拉{city_short}{county}司机之家",
)


# --- 统一社会信用代码 (GB 32100-2015) -----------------------------------------------------------------------
def _org_code(name: str) -> str:
    """A 9-character 组织机构代码 (GB 11714) derived from the name: 8 digits plus its check character."""
    digits = f"{int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**8:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return digits + {10: "X", 11: "0"}.get(check, str(check))


def demo_uscc(name: str, *, region: str, authority: str) -> str:
    """A valid, deterministic USCC for a demo unit: authority+type (91 enterprise, 52 民办非企业), the
    6-digit region, an organisation code from the name, and the check character computed by python-stdnum."""
    body = f"{authority}{region[:6]}{_org_code(name)}"
    return codes.validate_uscc(body + stdnum_uscc.calc_check_digit(body))


def _phone(name: str, area_code: str) -> str:
    number = int(hashlib.sha256(("tel:" + name).encode()).hexdigest(), 16) % 10**7
    return f"{area_code}-8{number:07d}"


# --- seeding ----------------------------------------------------------------------------------------------
class _Counter:
    def __init__(self) -> None:
        self.divisions = self.units = self.created = self.updated = 0


def _division(code: str, name: str, parent: Division | None, tally: _Counter) -> Division:
    tally.divisions += 1
    obj = Division.objects.filter(code=code).first()
    if obj is None:
        tally.created += 1
        return Division.objects.create(
            code=code, name=name, level=codes.level_of(code), parent=parent, is_demo=True
        )
    if obj.is_demo and obj.name != name:
        obj.name = name
        obj.save(update_fields=["name"])
        tally.updated += 1
    return obj


def _unit(
    name: str,
    unit_type: str,
    division: Division,
    tally: _Counter,
    *,
    parent: Unit | None = None,
    uscc: str = "",
    phone: str = "",
) -> Unit:
    tally.units += 1
    wanted = {
        "unit_type": unit_type,
        "parent": parent,
        "uscc": uscc,
        "contact_phone": phone,
        "is_active": True,
    }
    obj = Unit.all_objects.filter(division=division, name=name).first()
    if obj is None:
        obj = Unit(name=name, division=division, is_demo=True, **wanted)
        obj.full_clean()
        obj.save()
        tally.created += 1
        return obj
    if obj.is_demo and any(getattr(obj, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(obj, key, value)
        obj.full_clean()
        obj.save()
        tally.updated += 1
    return obj


def _seed_county(spec: _County, tally: _Counter) -> None:
    province = _division(*spec.province, parent=None, tally=tally)
    city = _division(*spec.city, parent=province, tally=tally)
    county = _division(*spec.county, parent=city, tally=tally)
    county_name, county_short = spec.county[1], spec.county[1].removesuffix("区")
    area = spec.area_code

    # 社会工作部 at each level; a lower one reports to the one above.
    prov_dept = _unit(
        spec.province_sw_dept,
        UnitType.SOCIAL_WORK_DEPT,
        province,
        tally,
        phone=_phone(spec.province_sw_dept, area),
    )
    city_dept_name = f"{spec.city_short}市委社会工作部"
    city_dept = _unit(
        city_dept_name,
        UnitType.SOCIAL_WORK_DEPT,
        city,
        tally,
        parent=prov_dept,
        phone=_phone(city_dept_name, area),
    )
    county_dept_name = f"{county_name}委社会工作部"
    _unit(
        county_dept_name,
        UnitType.SOCIAL_WORK_DEPT,
        county,
        tally,
        parent=city_dept,
        phone=_phone(county_dept_name, area),
    )

    names = {"county": county_name, "county_short": county_short, "city_short": spec.city_short}
    for template, unit_type in COUNTY_DEPARTMENTS:
        name = template.format(**names)
        _unit(name, unit_type, county, tally, phone=_phone(name, area))
    for template in PLATFORM_BRANCHES:
        name = template.format(**names)
        uscc = demo_uscc(name, region=county.code, authority="91")
        _unit(name, UnitType.PLATFORM_ENTERPRISE, county, tally, uscc=uscc, phone=_phone(name, area))
    for stem in spec.sw_orgs:
        name = f"{spec.city[1]}{county_name}{stem}社会工作服务中心"
        uscc = demo_uscc(name, region=county.code, authority="52")
        _unit(name, UnitType.SOCIAL_WORK_ORG, county, tally, uscc=uscc, phone=_phone(name, area))

    for s_index, (street_name, community_stems) in enumerate(spec.streets, start=1):
        street_code = f"{county.prefix}{s_index:03d}".ljust(12, "0")
        street = _division(street_code, street_name, parent=county, tally=tally)
        office_name = f"{street_name}办事处"
        office = _unit(office_name, UnitType.STREET_OFFICE, street, tally, phone=_phone(office_name, area))
        for c_index, stem in enumerate(community_stems, start=1):
            community_name = f"{stem}社区"
            community = _division(f"{street.prefix}{c_index:03d}", community_name, parent=street, tally=tally)
            committee = f"{community_name}居民委员会"
            _unit(
                committee,
                UnitType.COMMUNITY_COMMITTEE,
                community,
                tally,
                parent=office,
                phone=_phone(community.code + committee, area),
            )


@transaction.atomic
def seed_demo_divisions() -> dict[str, int]:
    """Create (or correct) the demo jurisdiction and its units; running it again changes nothing.

    Returns {"divisions": …, "units": …, "created": …, "updated": …}: the first two count the demo rows
    the seed describes (the same on every run), the last two what this run wrote.
    """
    tally = _Counter()
    for spec in COUNTIES:
        _seed_county(spec, tally)
    return {
        "divisions": tally.divisions,
        "units": tally.units,
        "created": tally.created,
        "updated": tally.updated,
    }
