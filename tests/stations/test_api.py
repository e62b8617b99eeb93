from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from shegong.accounts.choices import Role
from shegong.stations import geo
from shegong.stations.models import Station
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

NEAREST = "/api/v1/stations/nearest"


def make(world: World, division: Any, **fields: Any) -> Station:
    values: dict[str, Any] = {
        "name": "华山路爱心驿站",
        "division": division,
        "address": "沈阳市皇姑区华山路12号",
        "lat": 41.8201,
        "lng": 123.4201,
        "amenities": ["water", "toilet"],
        "opening_hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
        "contact_phone": "13812345678",
    }
    values.update(fields)
    station = Station(**values)
    station.full_clean()
    station.save()
    return station


class TestStationDetail(ScopedEndpointSuite):
    allowed_role = Role.SOCIAL_WORKER
    forbidden_role = Role.VOLUNTEER  # holds no station permission

    def make_object(self, world: World, division: Any) -> Station:
        return make(world, division, name=f"驿站{division.code}")

    def url(self, obj: Any) -> str:
        return f"/api/v1/stations/{obj.pk}"

    def marker(self, obj: Any) -> str:
        return obj.name


@pytest.mark.django_db
def test_nearest_needs_no_login_and_masks_the_phone(world: World, client: Client) -> None:
    near = make(world, world.home_street)
    make(world, world.home_street, name="岐山路爱心驿站", lat=41.84, lng=123.42, amenities=["toilet"])
    with translation.override("zh-hans"):
        response = client.get(NEAREST, {"lat": 41.82, "lng": 123.42, "amenity": "water"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["id"] for s in body] == [near.pk]
    assert body[0]["phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()
    assert body[0]["distance_m"] == pytest.approx(14, abs=2)
    assert body[0]["direction"] == "north_east"
    assert body[0]["open_now"] is True
    assert {"code": "water", "label": body[0]["amenities"][0]["label"]} in body[0]["amenities"]


@pytest.mark.django_db
def test_nearest_converts_a_browser_position(world: World, client: Client) -> None:
    station = make(world, world.home_street, lat=41.82, lng=123.42)
    wgs = geo.gcj02_to_wgs84(41.82, 123.42)
    gcj_as_is = client.get(NEAREST, {"lat": wgs[0], "lng": wgs[1]}).json()
    converted = client.get(NEAREST, {"lat": wgs[0], "lng": wgs[1], "coords": "wgs84"}).json()
    assert converted[0]["id"] == station.pk
    assert converted[0]["distance_m"] <= 1
    assert gcj_as_is[0]["distance_m"] > 300  # the GCJ-02 offset in Shenyang is several hundred metres


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"lat": "nan", "lng": 123.42},
        {"lat": 48.85, "lng": 2.35},
        {"lat": 41.82, "lng": 123.42, "amenity": "sauna"},
        {"lat": 41.82, "lng": 123.42, "k": 500},
    ],
)
def test_nearest_bad_input_is_422_in_the_envelope(client: Client, params: dict[str, Any]) -> None:
    response = client.get(NEAREST, params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


@pytest.mark.django_db
def test_nearest_missing_coordinates_is_400(client: Client) -> None:
    response = client.get(NEAREST, {"lat": 41.82})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


@pytest.mark.django_db
def test_nearest_is_rate_limited_per_ip(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from shegong.stations import api

    monkeypatch.setattr(api, "NEAREST_LIMIT", 3)
    params = {"lat": 41.82, "lng": 123.42}
    assert [client.get(NEAREST, params).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(NEAREST, params)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["details"]["retry_after_seconds"] >= 1
    other_ip = client.get(NEAREST, params, REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


@pytest.mark.django_db
def test_staff_list_is_scoped(world: World, client: Client) -> None:
    home = make(world, world.home_street)
    make(world, world.away_street, name="青秀驿站", lat=22.82, lng=108.38)
    client.force_login(world.user(Role.LEADER, world.home))
    body = client.get("/api/v1/stations").json()
    assert [s["id"] for s in body["items"]] == [home.pk]
    assert body["items"][0]["phone"] == "138****5678"


@pytest.mark.django_db
def test_staff_list_without_the_permission_is_403(world: World, client: Client) -> None:
    client.force_login(world.user(Role.VOLUNTEER, world.home))
    assert client.get("/api/v1/stations").status_code == 403


# --- staff list filters and detail (stations desk) ---------------------------------------------------------
class TestStationList(ScopedEndpointSuite):
    """The list narrowed to a division outside the caller's area is a 404, like the desk list."""

    allowed_role = Role.LEADER
    forbidden_role = Role.VOLUNTEER

    def make_object(self, world: World, division: Any) -> Station:
        lat, lng = (41.82, 123.42) if division.code.startswith("21") else (22.82, 108.38)
        return make(world, division, name=f"驿站{division.code}", lat=lat, lng=lng)

    def url(self, obj: Any) -> str:
        return f"/api/v1/stations?division={obj.division_id[:9]}"

    def marker(self, obj: Any) -> str:
        return obj.name


@pytest.mark.django_db
def test_staff_list_filters(world: World, client: Client) -> None:
    from shegong.stations.choices import Kind, Status

    water = make(world, world.home_street, name="华山路爱心驿站", amenities=["water", "toilet"])
    shop = make(
        world,
        world.home_community,
        name="罗森岐山店",
        address="岐山路3号",
        kind=Kind.PARTNER_SHOP,
        amenities=["phone_charging"],
    )
    closed = make(world, world.home_street, name="旧驿站", status=Status.CLOSED, amenities=["water"])
    client.force_login(world.user(Role.LEADER, world.home))

    def ids(**params: Any) -> list[int]:
        response = client.get("/api/v1/stations", params)
        assert response.status_code == 200, response.content
        return [s["id"] for s in response.json()["items"]]

    assert ids(q="岐山路") == [shop.pk]
    assert ids(kind="partner_shop") == [shop.pk]
    assert ids(status="closed") == [closed.pk]
    assert ids(amenity="toilet") == [water.pk]
    assert ids(division=world.home_community.code[:12]) == [shop.pk]
    assert set(ids()) == {water.pk, shop.pk, closed.pk}
    bad = client.get("/api/v1/stations", {"division": "21x"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_input"
    assert client.get("/api/v1/stations", {"amenity": "sauna"}).status_code in (400, 422)


@pytest.mark.django_db
def test_staff_detail_has_the_unit_and_photo_urls(
    world: World, client: Client, settings: Any, tmp_path: Any
) -> None:
    from shegong.stations import photos
    from tests.stations.desk_support import jpeg

    settings.MEDIA_ROOT = tmp_path
    station = make(world, world.home_street, operator_unit=world.home_unit)
    photo = photos.photo_add(
        actor=world.user(Role.SOCIAL_WORKER, world.home), station=station, upload=jpeg(), caption="正门"
    )
    client.force_login(world.user(Role.LEADER, world.home))
    body = client.get(f"/api/v1/stations/{station.pk}").json()
    assert body["operator_unit"] == world.home_unit.name
    assert body["phone"] == "138****5678"
    assert body["photos"] == [
        {
            "id": photo.pk,
            "url": f"http://testserver/desk/stations/photos/{photo.pk}/",
            "caption": "正门",
            "width": 40,
            "height": 30,
            "content_type": "image/jpeg",
        }
    ]
    anonymous = Client().get(f"/desk/stations/photos/{photo.pk}/")
    assert anonymous.status_code == 200  # the URL works on a rider's phone


@pytest.mark.django_db
def test_every_stations_operation_is_documented(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    operations = [
        op
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/stations")
        for op in item.values()
    ]
    assert len(operations) >= 3
    assert all(op.get("summary") for op in operations)
    assert all(op.get("description") for op in operations)
