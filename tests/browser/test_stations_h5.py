"""The rider's "nearby stations" page in Chromium on a 360 px phone: the browser's position (WGS-84) finds
the nearest stations, the water filter keeps the nearest open one with water; with the position refused,
the district → street picker lists the street's stations, open first."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from shegong.stations import geo
from shegong.stations.models import Station
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIDER = {"latitude": 41.8200, "longitude": 123.4200}  # what the phone's Geolocation API reports (WGS-84)
ALL_DAY = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
PHONE_CONTEXT = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


class Problems(list[str]):
    """Page errors, console errors (Chromium reports CSP violations there) and server errors."""

    def watch(self, page: Any) -> Any:
        page.on("pageerror", lambda exc: self.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.append(f"console: {msg.text}"))
        page.on("response", lambda r: r.status >= 500 and self.append(f"{r.status} {r.url}"))
        return page


def _station(division: Any, name: str, d_lat: float, d_lng: float, **fields: Any) -> Station:
    """A station offset from the rider's GCJ-02 position (0.001° latitude ≈ 111 m)."""
    lat, lng = geo.wgs84_to_gcj02(RIDER["latitude"], RIDER["longitude"])
    values: dict[str, Any] = {
        "name": name,
        "division": division,
        "address": f"沈阳市皇姑区{name}路1号",
        "lat": round(lat + d_lat, 6),
        "lng": round(lng + d_lng, 6),
        "amenities": ["water"],
        "opening_hours": ALL_DAY,
    }
    values.update(fields)
    station = Station(**values)
    station.full_clean()
    station.save()
    return station


@pytest.fixture
def stations(world: World) -> dict[str, Station]:
    # Nearest overall lacks water; the next has water but is closed at every hour; then the one to find.
    return {
        "dry": _station(world.home_street, "一号驿站", 0.0008, 0, amenities=["toilet", "seating"]),
        "closed": _station(world.home_community, "二号驿站", 0, 0.0018, opening_hours={}),
        "water": _station(world.home_community, "三号驿站", 0.0020, 0.0020, amenities=["water", "microwave"]),
        "far": _station(world.home_street, "四号驿站", -0.0050, 0.0040),
    }


def _ids(page: Any, testid: str) -> list[int]:
    cards = page.locator(f"[data-testid={testid}] [data-testid=station]")
    return [int(cards.nth(i).get_attribute("data-station-id")) for i in range(cards.count())]


def _sideways(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_the_water_filter_finds_the_nearest_open_station_with_water(
    live_server: Any, browser: Any, stations: dict[str, Station]
) -> None:
    problems = Problems()
    context = browser.new_context(**PHONE_CONTEXT, geolocation=RIDER, permissions=["geolocation"])
    context.set_default_timeout(10_000)
    page = problems.watch(context.new_page())
    try:
        page.goto(f"{live_server.url}{reverse('stations:h5_nearby')}")
        # the script asks for the position and reloads the page with it
        page.wait_for_url("**/h5/stations/?*lat=*")
        page.locator("[data-testid=results] [data-testid=station]").first.wait_for()
        assert "coords=wgs84" in page.url
        assert _ids(page, "results") == [stations["dry"].pk, stations["water"].pk, stations["far"].pk]

        with page.expect_navigation():
            page.tap("[data-testid=filter-water]")
        first = page.locator("[data-testid=results] [data-testid=station]").first
        assert int(first.get_attribute("data-station-id")) == stations["water"].pk
        assert first.get_attribute("data-open") == "1"
        assert first.locator("[data-amenity=water]").count() == 1
        assert "东北" in first.locator("[data-testid=walk-hint]").inner_text()
        assert first.locator("[data-nav-app=amap]").get_attribute("href").startswith("amapuri://route/plan/")
        assert _ids(page, "results") == [stations["water"].pk, stations["far"].pk]
        assert _sideways(page) == 0
        assert problems == []
    finally:
        context.close()


def test_without_a_position_the_rider_chooses_a_street(
    live_server: Any, browser: Any, world: World, stations: dict[str, Station]
) -> None:
    problems = Problems()
    context = browser.new_context(**PHONE_CONTEXT, permissions=[])  # the rider refused location access
    context.set_default_timeout(10_000)
    page = problems.watch(context.new_page())
    try:
        page.goto(f"{live_server.url}{reverse('stations:h5_nearby')}")
        page.locator("[data-testid=locate][data-located=failed]").wait_for()
        assert page.locator("[data-testid=locate-status]").inner_text().strip() != ""
        assert "lat=" not in page.url

        with page.expect_navigation():
            page.select_option("[data-testid=place-district]", world.home.code)
        with page.expect_navigation():
            page.select_option("[data-testid=place-street]", world.home_street.code)
        page.locator("[data-testid=street-results]").wait_for()
        listed = _ids(page, "street-results")
        # open first (by name), the one closed at this hour last
        assert listed == [stations["dry"].pk, stations["water"].pk, stations["far"].pk, stations["closed"].pk]
        assert world.home_street.name in page.locator("[data-testid=street-title]").inner_text()
        assert _sideways(page) == 0
        assert problems == []
    finally:
        context.close()
