"""Routing suggestion: the dispatch catalogue where it speaks precisely, past dispatch choices where it is
silent or broader than the place; address text mapped to a street or community."""

from __future__ import annotations

import pytest
from django.test import Client

from shegong.appeals import services as s
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Category, DispatchRule
from shegong.divisions.models import Division, Unit
from shegong.smart import routing
from shegong.smart.models import Correction
from shegong.smart.routing import division_from_address, place_of, suggest_unit
from tests.appeals.conftest import Actors
from tests.smart.learning_support import make_actors
from tests.support.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(world: World) -> Actors:
    return make_actors(world)


def _unit(name: str, division: Division) -> Unit:
    return Unit.all_objects.create(name=name, unit_type="government_dept", division=division)


def _history(
    actors: Actors, unit: Unit, n: int, *, division: Division | None = None, code: str = "WAGE"
) -> None:
    """`n` past appeals of category `code` at `division` (default: home community) sent to `unit`."""
    for _ in range(n):
        appeal = actors.submit(division=division or actors.world.home_community)
        Correction.objects.create(
            appeal=appeal,
            text=appeal.text,
            chosen_category=code,
            chosen_urgency="normal",
            chosen_unit=unit,
            division=appeal.division,
            by=actors.intake,
        )


def test_no_rule_and_no_history_suggests_nothing(world: World) -> None:
    unit, reason = suggest_unit(world.home_community, Category.objects.get(code="WAGE"))
    assert unit is None
    assert reason.source == routing.NONE


def test_a_precise_catalogue_rule_wins_over_history(actors: Actors) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    street_office = _unit("测试街道办事处", world.home_street)
    habit = _unit("区人社局", world.home)
    DispatchRule.objects.create(division=world.home_street, category=wage, unit=street_office)
    _history(actors, habit, 5)
    unit, reason = suggest_unit(world.home_community, wage)
    assert unit == street_office
    assert reason.source == routing.CATALOGUE


def test_without_a_rule_history_decides_once_it_has_the_support(actors: Actors) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    labour = _unit("区人社局", world.home)
    _history(actors, labour, routing.MIN_SUPPORT - 1)
    assert suggest_unit(world.home_community, wage).unit is None
    _history(actors, labour, 1)
    unit, reason = suggest_unit(world.home_community, wage)
    assert unit == labour
    assert (reason.source, reason.support, reason.total) == (
        routing.HISTORY,
        routing.MIN_SUPPORT,
        routing.MIN_SUPPORT,
    )
    # only that category learns from it
    assert suggest_unit(world.home_community, Category.objects.get(code="PARKING")).unit is None


def test_history_overrides_a_broader_rule_only_when_it_has_a_clear_winner(actors: Actors) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    county = _unit("区社会工作部", world.home)
    labour = _unit("区人社局", world.home)
    union = _unit("区总工会", world.home)
    DispatchRule.objects.create(division=world.home, category=None, unit=county)  # county-wide, any category
    _history(actors, labour, 3)
    _history(actors, union, 3)
    unit, reason = suggest_unit(world.home_community, wage)
    assert (unit, reason.source) == (county, routing.CATALOGUE)  # a tie: no winner
    _history(actors, labour, 1)
    unit, reason = suggest_unit(world.home_street, wage)  # a street pools its communities' history
    assert (unit, reason.source, reason.support, reason.total) == (labour, routing.HISTORY, 4, 7)
    # the county desk is not told to follow one street's habit
    assert suggest_unit(world.home, wage).unit == county


def test_history_in_another_street_does_not_count(actors: Actors) -> None:
    world = actors.world
    other_street = Division.objects.create(code="210105002000", name="另一街道", level=9, parent=world.home)
    labour = _unit("区人社局", world.home)
    _history(actors, labour, 4, division=other_street)
    assert suggest_unit(world.home_community, Category.objects.get(code="WAGE")).unit is None
    assert suggest_unit(other_street, Category.objects.get(code="WAGE")).unit == labour


def test_only_the_latest_dispatch_of_an_appeal_counts(actors: Actors) -> None:
    """A dispatch that was returned and re-sent elsewhere was a mistake, not a vote."""
    world = actors.world
    wrong, right = _unit("错误单位", world.home), _unit("正确单位", world.home)
    _history(actors, right, routing.MIN_SUPPORT - 1)
    appeal = actors.submit()
    for unit in (wrong, right):
        Correction.objects.create(
            appeal=appeal,
            text=appeal.text,
            chosen_category="WAGE",
            chosen_unit=unit,
            division=appeal.division,
        )
    suggested, reason = suggest_unit(world.home_community, Category.objects.get(code="WAGE"))
    assert (suggested, reason.support, reason.total) == (right, routing.MIN_SUPPORT, routing.MIN_SUPPORT)


def test_an_inactive_unit_is_never_suggested_from_history(actors: Actors) -> None:
    world = actors.world
    gone = _unit("已撤销单位", world.home)
    _history(actors, gone, 4)
    gone.is_active = False
    gone.save()
    assert suggest_unit(world.home_community, Category.objects.get(code="WAGE")).unit is None


def test_dispatches_at_the_desk_teach_the_routing(actors: Actors) -> None:
    """End to end: people dispatching through the services write the history the suggestion learns from."""
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    labour = _unit("区人社局", world.home)
    for _ in range(routing.MIN_SUPPORT):
        appeal = s.appeal_accept(appeal=actors.submit(), actor=actors.intake, category=wage)
        s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=labour)
    assert (
        Correction.objects.filter(chosen_unit=labour, chosen_category="WAGE").count() == routing.MIN_SUPPORT
    )
    assert suggest_unit(world.home_community, wage).unit == labour
    # the next dispatch records what the suggestion said beside what the dispatcher chose
    appeal = s.appeal_accept(appeal=actors.submit(), actor=actors.intake, category=wage)
    s.appeal_dispatch(appeal=appeal, actor=actors.intake, unit=world.home_unit)
    last = Correction.objects.filter(appeal=appeal, chosen_unit__isnull=False).get()
    assert (last.suggested_unit, last.chosen_unit, last.by) == (labour, world.home_unit, actors.intake)


# --- address text → division --------------------------------------------------------------------------------
@pytest.fixture
def places(world: World) -> dict[str, Division]:
    street = Division.objects.create(code="210105002000", name="三里屯街道", level=9, parent=world.home)
    return {
        "street": street,
        "community": Division.objects.create(code="210105002001", name="幸福社区", level=12, parent=street),
        "other": Division.objects.create(code="210105002002", name="光明社区", level=12, parent=street),
    }


def test_address_names_a_street_or_community(world: World, places: dict[str, Division]) -> None:
    assert division_from_address("三里屯街道工体北路8号", within=world.home) == places["street"]
    assert division_from_address("三里屯那边的站点", within=world.home) == places["street"]  # short name
    # the deepest division named wins, whether written in full or not
    assert division_from_address("三里屯街道幸福社区3号楼", within=world.home) == places["community"]
    assert division_from_address("幸福小区门口", within=world.home) == places["community"]
    assert division_from_address("测试街道测试社区", within=world.home) == world.home_community


def test_address_that_names_nothing_or_two_places_maps_to_nothing(
    world: World, places: dict[str, Division]
) -> None:
    assert division_from_address("", within=world.home) is None
    assert division_from_address("路边", within=world.home) is None
    assert division_from_address("幸福社区和光明社区之间", within=world.home) is None  # ambiguous
    # names outside the division searched never match; above county level nothing is searched
    assert division_from_address("远方街道", within=world.home) is None
    city = Division.objects.get(code="210100000000")
    assert division_from_address("三里屯街道", within=city) is None


def test_routing_place_of_an_appeal(actors: Actors, places: dict[str, Division]) -> None:
    world = actors.world
    county_level = actors.submit(division=world.home, address="三里屯街道幸福社区北门")
    assert place_of(county_level) == places["community"]
    assert place_of(actors.submit(division=world.home, address="不知道在哪")) == world.home
    # a community stays itself whatever its address says
    assert place_of(actors.submit(address="三里屯街道")) == world.home_community


def test_an_address_routes_a_county_level_appeal_by_its_street(
    actors: Actors, places: dict[str, Division]
) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    street_office = _unit("三里屯街道办事处", places["street"])
    DispatchRule.objects.create(division=places["street"], category=wage, unit=street_office)
    appeal: Appeal = actors.submit(division=world.home, address="三里屯街道幸福社区")
    assert suggest_unit(place_of(appeal), wage).unit == street_office
    assert suggest_unit(appeal.division, wage).unit is None
    assert appeal.state == State.SUBMITTED


def test_the_dispatch_form_preselects_the_learned_unit(actors: Actors, client: Client) -> None:
    world = actors.world
    wage = Category.objects.get(code="WAGE")
    labour = _unit("区人社局", world.home)
    _history(actors, labour, routing.MIN_SUPPORT)
    appeal = s.appeal_accept(appeal=actors.submit(), actor=actors.intake, category=wage)
    client.force_login(actors.intake)
    html = client.get(f"/desk/appeals/{appeal.tracking_no}/").content.decode()
    # the dispatch form's unit select has the learned unit selected, and says why
    assert f'<option value="{labour.pk}" selected>' in html
    assert "区人社局" in html
