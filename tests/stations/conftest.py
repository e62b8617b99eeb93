from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shegong.stations.models import Station
from tests.support.world import World

EVERY_DAY_24H = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")


@pytest.fixture
def make_station(world: World) -> Callable[..., Station]:
    counter = iter(range(1, 1_000_000))

    def make(**fields: Any) -> Station:
        values: dict[str, Any] = {
            "name": f"测试驿站{next(counter)}",
            "division": world.home,
            "address": "沈阳市皇姑区华山路1号",
            "lat": 41.82,
            "lng": 123.42,
            "amenities": ["water"],
            "opening_hours": EVERY_DAY_24H,
        }
        values.update(fields)
        station = Station(**values)
        station.full_clean()
        station.save()
        return station

    return make
