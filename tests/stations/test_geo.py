import math

import pytest
from django.core.exceptions import ValidationError

from shegong.stations import geo
from shegong.stations.choices import Direction


def test_tiananmen_wgs84_to_gcj02_matches_the_published_reference_within_a_few_metres() -> None:
    lat, lng = geo.wgs84_to_gcj02(39.908692, 116.397477)
    assert geo.haversine_m(lat, lng, 39.910093, 116.403722) < 3.0


@pytest.mark.parametrize(
    ("lat", "lng"),
    [(39.908692, 116.397477), (41.82, 123.42), (22.82, 108.38), (40.85, 111.68), (18.25, 109.5)],
)
def test_gcj02_to_wgs84_round_trip_is_within_a_metre(lat: float, lng: float) -> None:
    g_lat, g_lng = geo.wgs84_to_gcj02(lat, lng)
    assert geo.haversine_m(lat, lng, g_lat, g_lng) > 100  # the offset is real inside China
    back = geo.gcj02_to_wgs84(g_lat, g_lng)
    assert geo.haversine_m(lat, lng, *back) < 1.0


def test_no_offset_outside_china() -> None:
    assert geo.wgs84_to_gcj02(51.5007, -0.1246) == (51.5007, -0.1246)
    assert geo.gcj02_to_wgs84(51.5007, -0.1246) == (51.5007, -0.1246)


def test_haversine_one_degree_of_latitude_is_about_111_km() -> None:
    assert geo.haversine_m(40.0, 116.0, 41.0, 116.0) == pytest.approx(111_195, rel=1e-3)
    # Beijing → Shanghai, ~1,067 km
    assert geo.haversine_m(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1_067_000, rel=0.01)


@pytest.mark.parametrize(
    ("d_lat", "d_lng", "expected"),
    [
        (0.01, 0, Direction.NORTH),
        (0.01, 0.013, Direction.NORTH_EAST),
        (0, 0.01, Direction.EAST),
        (-0.01, 0.013, Direction.SOUTH_EAST),
        (-0.01, 0, Direction.SOUTH),
        (-0.01, -0.013, Direction.SOUTH_WEST),
        (0, -0.01, Direction.WEST),
        (0.01, -0.013, Direction.NORTH_WEST),
    ],
)
def test_direction_hint(d_lat: float, d_lng: float, expected: Direction) -> None:
    assert geo.direction(41.82, 123.42, 41.82 + d_lat, 123.42 + d_lng) == expected


def test_bounding_box_contains_the_circle() -> None:
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(41.82, 123.42, 5_000)
    for bearing in range(0, 360, 5):
        # a point 4,999 m away in every direction lies inside the box
        b = math.radians(bearing)
        d = 4_999 / geo.EARTH_RADIUS_M
        p1 = math.radians(41.82)
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = math.radians(123.42) + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
        )
        assert min_lat <= math.degrees(p2) <= max_lat
        assert min_lng <= math.degrees(l2) <= max_lng


@pytest.mark.parametrize(
    ("lat", "lng", "code"),
    [
        (float("nan"), 116.0, "not_finite"),
        (39.9, float("inf"), "not_finite"),
        ("abc", 116.0, "not_a_number"),
        (None, 116.0, "not_a_number"),
        (51.5, -0.12, "outside_china"),
        (2.0, 110.0, "outside_china"),
        (39.9, 140.0, "outside_china"),
    ],
)
def test_bad_coordinates_are_refused_with_a_clear_message(lat: object, lng: object, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        geo.validate_point(lat, lng)
    assert info.value.code == code
    assert info.value.messages[0]


def test_outside_china_message_names_the_point_and_the_limits() -> None:
    with pytest.raises(ValidationError) as info:
        geo.validate_point(51.5, -0.12)
    assert "51.5" in info.value.messages[0]
    assert "53.56" in info.value.messages[0]


def test_valid_point_comes_back_as_floats() -> None:
    assert geo.validate_point("41.82", 123) == (41.82, 123.0)
