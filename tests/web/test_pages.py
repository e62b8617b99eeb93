"""Home, the role landing redirect and the three home pages (desk, H5, dashboard)."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from shegong.accounts.choices import STAFF_ROLES, Role
from shegong.accounts.models import Grant, User
from shegong.divisions.choices import UnitType
from shegong.divisions.models import Division, Unit
from shegong.web import h5
from tests.support.world import World

pytestmark = pytest.mark.django_db


def _unit(name: str, unit_type: str, division: Division) -> Unit:
    return Unit.all_objects.create(name=name, unit_type=unit_type, division=division)


def _text(response) -> str:
    return response.content.decode()


def _workbench_title(role: str) -> str:
    return gettext("%(role)s workbench") % {"role": str(Role(role).label)}


# --- home --------------------------------------------------------------------------------------------------
def test_home_is_public_and_in_the_platform_language(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = _text(response)
    assert '<html lang="zh-hans">' in html
    assert 'data-testid="home-title"' in html
    assert gettext("Social Work Service Platform") in html
    for job in ("Appeals", "Warm stations", "Social work talent pool", "Community workers", "Cockpit"):
        assert gettext(job) in html
    assert 'href="/h5/"' in html  # the workers' entry
    assert 'data-testid="entry-staff"' in html


def test_home_offers_the_workbench_to_a_signed_in_user(client: Client, world: World) -> None:
    client.force_login(world.user(Role.INTAKE))
    html = _text(client.get("/"))
    assert 'href="/landing/"' in html


# --- landing -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "target"),
    [
        (Role.LEADER, "/dashboard/"),
        (Role.VOLUNTEER, "/h5/"),
        (Role.INTAKE, "/desk/"),
        (Role.HANDLER, "/desk/"),
        (Role.SOCIAL_WORKER, "/desk/"),
        (Role.PLATFORM_ADMIN, "/desk/"),
        (Role.SECURITY_ADMIN, "/desk/"),
        (Role.AUDITOR, "/desk/"),
    ],
)
def test_landing_sends_each_role_to_its_page(client: Client, world: World, role: str, target: str) -> None:
    client.force_login(world.user(role))
    response = client.get("/landing/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_landing_sends_a_user_without_grants_to_h5(client: Client, world: World) -> None:
    client.force_login(User.objects.create_user(username="nobody", password="x-Long-Password-1"))
    assert client.get("/landing/")["Location"] == "/h5/"


def test_landing_requires_login(client: Client) -> None:
    response = client.get("/landing/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- desk home ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_desk_home_names_the_role(client: Client, world: World, role: str) -> None:
    client.force_login(world.user(role))
    response = client.get("/desk/")
    assert response.status_code == 200
    html = _text(response)
    heading = re.search(r'<h1[^>]*data-testid="landing-title"[^>]*>(.*?)</h1>', html, re.S)
    assert heading is not None
    assert heading.group(1).strip() == _workbench_title(role)
    assert str(Role(role).label) in html  # the role badge in the top bar
    assert "测试" in html  # the user's real name in the top bar
    assert world.home.name in html  # the jurisdiction


def test_desk_home_highlights_the_workbench_entry(client: Client, world: World) -> None:
    client.force_login(world.user(Role.INTAKE))
    html = _text(client.get("/desk/"))
    link = re.search(r'<a [^>]*data-nav="desk:home"[^>]*>', html)
    assert link is not None
    assert "active" in link.group(0)
    assert 'aria-current="page"' in link.group(0)


def test_desk_home_shows_the_dashboard_card_only_to_leaders(client: Client, world: World) -> None:
    client.force_login(world.user(Role.LEADER))
    assert 'data-card="dashboard:home"' in _text(client.get("/desk/"))
    client.force_login(world.user(Role.INTAKE))
    assert 'data-card="dashboard:home"' not in _text(client.get("/desk/"))


def test_desk_home_counts_only_units_in_scope(client: Client, world: World) -> None:
    _unit("测试街道办事处", UnitType.STREET_OFFICE, world.home_street)
    _unit("远方街道办事处", UnitType.STREET_OFFICE, world.away_street)
    client.force_login(world.user(Role.INTAKE))
    html = _text(client.get("/desk/"))
    count = re.search(r'data-count="units".*?sg-stat-value">(\d+)<', html, re.S)
    assert count is not None
    assert count.group(1) == "2"  # 皇姑区社会工作部 and 测试街道办事处; none of 青秀区's


def test_volunteer_gets_403_on_the_desk(client: Client, world: World) -> None:
    client.force_login(world.user(Role.VOLUNTEER))
    response = client.get("/desk/")
    assert response.status_code == 403
    assert 'data-testid="error-title"' in _text(response)


def test_desk_requires_login(client: Client) -> None:
    response = client.get("/desk/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_inactive_grant_does_not_open_the_desk(client: Client, world: World) -> None:
    user = world.user(Role.INTAKE)
    Grant.objects.filter(user=user).update(is_active=False)
    client.force_login(user)
    assert client.get("/desk/").status_code == 403


# --- H5 ----------------------------------------------------------------------------------------------------
def _unbuilt(*keys: str) -> int:
    """How many of these tiles' pages no module provides (yet)."""
    names = {t.key: t.url_name for t in h5._TILES.values()}
    count = 0
    for key in keys:
        try:
            reverse(names[key])
        except NoReverseMatch:
            count += 1
    return count


def test_h5_home_is_public_and_shows_unbuilt_services_as_coming_soon(client: Client) -> None:
    response = client.get("/h5/")
    assert response.status_code == 200
    html = _text(response)
    assert 'data-testid="landing-title"' in html
    assert gettext("Services for new-employment workers") in html
    names = {t.key: t.url_name for t in h5._TILES.values()}
    for key in ("submit", "track", "stations"):
        tile = re.search(rf'<(\w+) [^>]*data-tile="{key}"[^>]*>', html)
        assert tile is not None, key
        try:
            url = reverse(names[key])
        except NoReverseMatch:
            # no module provides this page yet: a disabled card, not a link to nowhere
            assert tile.group(1) == "div"
            assert 'aria-disabled="true"' in tile.group(0)
        else:
            assert tile.group(1) == "a"
            assert f'href="{url}"' in tile.group(0)
    assert html.count(gettext("Coming soon")) == _unbuilt("submit", "track", "stations")


def test_h5_tile_links_once_its_page_exists(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(h5._TILES, "track", h5.H5Tile("track", "查询进度", "web:home", order=20))
    html = _text(client.get("/h5/"))
    tile = re.search(r'<(\w+) [^>]*data-tile="track"[^>]*>', html)
    assert tile is not None
    assert tile.group(1) == "a"
    assert 'href="/"' in tile.group(0)
    assert html.count(gettext("Coming soon")) == _unbuilt("submit", "stations")


def test_h5_pages_load_no_javascript_framework(client: Client) -> None:
    html = _text(client.get("/h5/"))
    scripts = re.findall(r'<script [^>]*src="([^"]+)"', html)
    assert scripts
    assert all("htmx" in src or "/shegong/" in src for src in scripts), scripts


# --- dashboard ---------------------------------------------------------------------------------------------
def _kpi(html: str, key: str) -> int:
    found = re.search(rf'data-testid="kpi-{key}">(\d+)<', html)
    assert found is not None, key
    return int(found.group(1))


def test_dashboard_needs_the_dashboard_permission(client: Client, world: World) -> None:
    for role in (Role.INTAKE, Role.PLATFORM_ADMIN, Role.AUDITOR, Role.VOLUNTEER):
        client.force_login(world.user(role))
        assert client.get("/dashboard/").status_code == 403, role


def test_dashboard_requires_login(client: Client) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def _staff(world: World, role: str, division: Division, *, active: bool = True) -> User:
    user = world.user(role, division)
    user.division = division
    user.is_active = active
    user.save()
    return user


def test_dashboard_numbers_cover_only_the_leaders_jurisdiction(client: Client, world: World) -> None:
    _unit("测试社区居委会", UnitType.COMMUNITY_COMMITTEE, world.home_community)
    _unit("远方街道办事处", UnitType.STREET_OFFICE, world.away_street)
    _unit("远方社工机构", UnitType.OTHER, world.away)
    leader = _staff(world, Role.LEADER, world.home)
    _staff(world, Role.INTAKE, world.home_street)
    _staff(world, Role.HANDLER, world.home_street, active=False)  # disabled: not counted
    _staff(world, Role.VOLUNTEER, world.home_street)  # not staff
    _staff(world, Role.INTAKE, world.away)  # out of scope

    client.force_login(leader)
    html = _text(client.get("/dashboard/"))
    assert _kpi(html, "divisions") == 3  # 皇姑区, 测试街道, 测试社区
    assert _kpi(html, "units") == 2  # 皇姑区社会工作部, 测试社区居委会
    assert _kpi(html, "staff") == 2  # the leader and the intake officer
    assert "远方" not in html
    assert world.away.name not in html

    away_leader = _staff(world, Role.LEADER, world.away)
    client.force_login(away_leader)
    html = _text(client.get("/dashboard/"))
    assert (_kpi(html, "divisions"), _kpi(html, "units"), _kpi(html, "staff")) == (2, 3, 2)


def test_dashboard_of_a_nationwide_leader_counts_everything(client: Client, world: World) -> None:
    client.force_login(world.nationwide(Role.LEADER))
    html = _text(client.get("/dashboard/"))
    assert _kpi(html, "units") == 2
    assert _kpi(html, "divisions") == 9


def test_dashboard_chart_is_data_for_dashboard_js(client: Client, world: World) -> None:
    _unit("测试街道办事处", UnitType.STREET_OFFICE, world.home_street)
    _unit("测试街道二办", UnitType.STREET_OFFICE, world.home_street)
    client.force_login(world.user(Role.LEADER))
    html = _text(client.get("/dashboard/"))
    element = re.search(r'<div [^>]*data-chart="([^"]+)"', html)
    assert element is not None
    payload = re.search(
        rf'<script id="{element.group(1)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert payload is not None
    options = json.loads(payload.group(1))
    labels = options["yAxis"]["data"]
    values = options["series"][0]["data"]
    assert dict(zip(labels, values, strict=True)) == {
        str(UnitType.STREET_OFFICE.label): 2,
        str(UnitType.SOCIAL_WORK_DEPT.label): 1,
    }
    assert "echarts.min.js" in html
    assert "shegong/dashboard.js" in html


def test_desk_and_dashboard_query_counts_do_not_grow_with_the_data(client: Client, world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        # the session middleware rewrites the session now and then; only the page's own reads count here
        return sum(
            1
            for q in captured.captured_queries
            if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        )

    client.force_login(world.user(Role.LEADER))
    before = (queries("/desk/"), queries("/dashboard/"))
    for n in range(15):
        _unit(f"测试单位{n}", UnitType.OTHER if n % 2 else UnitType.STREET_OFFICE, world.home_street)
        world.user(Role.INTAKE, world.home_street)
    assert (queries("/desk/"), queries("/dashboard/")) == before
    assert before[0] <= 10


def test_home_page_speaks_chinese(client: Client) -> None:
    body = client.get("/").content.decode()
    assert "社工服务平台" in body
    assert "诉求办理" in body
