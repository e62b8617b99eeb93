"""The demo jurisdiction: idempotent, deterministic, every generated row marked demo, USCCs valid."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from shegong.divisions.choices import UnitType
from shegong.divisions.demo import demo_uscc, seed_demo_divisions
from shegong.divisions.models import Division, Unit

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[list[tuple], list[tuple]]:
    divisions = list(
        Division.objects.order_by("code").values_list("code", "name", "level", "parent_id", "is_demo")
    )
    units = list(
        Unit.all_objects.order_by("division_id", "name").values_list(
            "division_id", "name", "unit_type", "uscc", "parent__name", "is_demo"
        )
    )
    return divisions, units


def test_seeding_twice_gives_the_same_data() -> None:
    first = seed_demo_divisions()
    data = _snapshot()
    second = seed_demo_divisions()

    assert _snapshot() == data
    assert (second["divisions"], second["units"]) == (first["divisions"], first["units"])
    assert first["created"] > 0
    assert second["created"] == second["updated"] == 0
    assert Division.objects.count() == first["divisions"]
    assert Unit.all_objects.count() == first["units"]


def test_the_three_real_counties_and_their_ancestors() -> None:
    seed_demo_divisions()
    for province, city, county in [
        ("210000000000", "210100000000", "210105000000"),
        ("450000000000", "450100000000", "450103000000"),
        ("150000000000", "150100000000", "150102000000"),
    ]:
        assert Division.objects.get(code=county).parent_id == city
        assert Division.objects.get(code=city).parent_id == province
    assert Division.objects.get(code="210105000000").name == "皇姑区"
    assert Division.objects.get(code="450103000000").name == "青秀区"
    assert Division.objects.get(code="150102000000").name == "新城区"


def test_streets_and_communities_are_generated_under_each_county() -> None:
    seed_demo_divisions()
    for county in ("210105", "450103", "150102"):
        streets = Division.objects.filter(parent_id=county.ljust(12, "0"))
        assert 4 <= streets.count() <= 6
        for street in streets:
            assert street.level == 9
            assert street.name.endswith("街道")
            communities = street.children.all()
            assert 3 <= communities.count() <= 5
            assert all(c.level == 12 and c.code.startswith(street.prefix) for c in communities)
    assert Division.objects.filter(code="210105001000", name="华山街道").exists()
    assert not Division.objects.filter(is_demo=False).exists()
    assert not Unit.all_objects.filter(is_demo=False).exists()


def test_units_at_every_level() -> None:
    seed_demo_divisions()
    assert Unit.all_objects.filter(name="皇姑区委社会工作部", division_id="210105000000").exists()
    assert Unit.all_objects.filter(name="沈阳市委社会工作部", division_id="210100000000").exists()
    assert Unit.all_objects.filter(name="辽宁省委社会工作部", division_id="210000000000").exists()
    assert Unit.all_objects.get(name="华山街道办事处").unit_type == UnitType.STREET_OFFICE
    committee = Unit.all_objects.get(name="华山社区居民委员会")
    assert committee.parent is not None
    assert committee.parent.name == "华山街道办事处"
    communities = Division.objects.filter(level=12).count()
    assert Unit.all_objects.filter(unit_type=UnitType.COMMUNITY_COMMITTEE).count() == communities
    departments = set(
        Unit.all_objects.filter(division_id="210105000000", unit_type=UnitType.GOVERNMENT_DEPT).values_list(
            "name", flat=True
        )
    )
    assert {
        "皇姑区人力资源和社会保障局",
        "皇姑区住房和城乡建设局",
        "沈阳市公安局皇姑分局交通警察大队",
    } <= departments
    assert (
        Unit.all_objects.filter(unit_type=UnitType.PLATFORM_ENTERPRISE, name__startswith="美团").count() == 3
    )


def test_enterprises_and_organisations_have_valid_unique_credit_codes() -> None:
    seed_demo_divisions()
    with_uscc = Unit.all_objects.filter(
        unit_type__in=[UnitType.PLATFORM_ENTERPRISE, UnitType.SOCIAL_WORK_ORG]
    )
    codes = [u.uscc for u in with_uscc]
    assert len(codes) >= 6 * 3 + 2 * 3
    assert all(uscc.is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)
    org = with_uscc.filter(unit_type=UnitType.SOCIAL_WORK_ORG).first()
    assert org is not None
    assert org.uscc.startswith("52" + org.division_id[:6])


def test_demo_uscc_is_deterministic_and_checked() -> None:
    code = demo_uscc("示例社会工作服务中心", region="210105", authority="52")
    assert code == demo_uscc("示例社会工作服务中心", region="210105", authority="52")
    assert code != demo_uscc("另一个服务中心", region="210105", authority="52")
    assert uscc.is_valid(code)
    # a change in any single character breaks the check character
    assert not uscc.is_valid(code[:10] + ("1" if code[10] != "1" else "2") + code[11:])


def test_an_official_row_is_not_renamed_by_the_demo() -> None:
    Division.objects.create(code="210000000000", name="辽宁省（官方）", level=2, is_demo=False)
    seed_demo_divisions()
    official = Division.objects.get(code="210000000000")
    assert (official.name, official.is_demo) == ("辽宁省（官方）", False)
