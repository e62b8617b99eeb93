"""The rider's station pages under /h5/stations/: nearby list, street fallback, station page, feedback,
QR check-in. Text is asserted in English (the language cookie); structure through data-* attributes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from shegong.appeals.choices import State
from shegong.appeals.models import Appeal
from shegong.core import notify
from shegong.core.models import RateCounter
from shegong.divisions.models import Division
from shegong.stations import geo
from shegong.stations.choices import FeedbackKind, Status
from shegong.stations.models import Station, StationException, StationFeedback, StationPhoto, StationVisit
from tests.support.world import World

pytestmark = pytest.mark.django_db

NEARBY = "/h5/stations/"
PHONE = "13912345678"
RIDER = (41.8200, 123.4200)  # WGS-84, as a phone's Geolocation API reports it
VERIFY = "/h5/appeals/verify/"


@pytest.fixture(autouse=True)
def h5_env(settings: Any, client: Client) -> Iterator[None]:
    settings.SHEGONG_SMS_BACKEND = "shegong.core.notify.ConsoleSMSBackend"
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    notify.ConsoleSMSBackend.outbox.clear()
    yield
    notify.ConsoleSMSBackend.outbox.clear()


def rider_gcj() -> tuple[float, float]:
    return geo.wgs84_to_gcj02(*RIDER)


def near(d_lat: float, d_lng: float) -> dict[str, float]:
    """A GCJ-02 point offset from the rider (0.001° latitude ≈ 111 m)."""
    lat, lng = rider_gcj()
    return {"lat": round(lat + d_lat, 6), "lng": round(lng + d_lng, 6)}


def ids(html: str, testid: str = "results") -> list[int]:
    block = html.split(f'data-testid="{testid}"', 1)[1].split("</ol>", 1)[0]
    return [int(pk) for pk in re.findall(r'data-station-id="(\d+)"', block)]


@pytest.fixture
def scene(make_station: Callable[..., Station], world: World) -> dict[str, Station]:
    """Around the rider: the nearest station is closed at every hour, the next lacks water, then one open
    with water, and a suspended one (never listed)."""
    return {
        "closed_now": make_station(name="甲驿站", opening_hours={}, amenities=["water"], **near(0.0009, 0)),
        "dry": make_station(name="乙驿站", amenities=["toilet"], **near(0, 0.0024)),
        "water": make_station(name="丙驿站", amenities=["water", "seating"], **near(0.0025, 0.0034)),
        "suspended": make_station(name="丁驿站", status=Status.SUSPENDED, **near(-0.0015, 0)),
    }


def nearby(client: Client, **params: Any) -> Any:
    query = {"lat": RIDER[0], "lng": RIDER[1], "coords": "wgs84", **params}
    return client.get(NEARBY, query)


# --- nearby ---------------------------------------------------------------------------------------------


def test_without_a_position_the_page_asks_the_browser(client: Client, world: World) -> None:
    response = client.get(NEARBY)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-mode="locate"' in html
    assert 'data-auto="1"' in html
    assert "stations-h5.js" in html
    assert "<script>" not in html  # CSP: no inline script
    assert 'data-testid="street-fallback"' in html


def test_nearest_open_stations_first_with_distance_and_direction(
    client: Client, scene: dict[str, Station]
) -> None:
    html = nearby(client).content.decode()
    assert ids(html) == [scene["dry"].pk, scene["water"].pk]
    distances = [int(d) for d in re.findall(r'data-distance="(\d+)"', html)]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(200, abs=15)  # the browser's WGS-84 point was converted to GCJ-02
    card = html.split(f'data-station-id="{scene["water"].pk}"', 1)[1].split("</li>\n", 1)[0]
    assert "Walk north-east for about 400 m" in card
    assert 'data-testid="open-now"' in card


def test_the_water_filter_keeps_stations_with_water(client: Client, scene: dict[str, Station]) -> None:
    html = nearby(client, amenity="water").content.decode()
    assert ids(html) == [scene["water"].pk]
    assert 'data-testid="filter-water"' in html
    assert "Only stations with: Drinking water" in html


def test_stations_closed_at_this_hour_can_be_shown_and_are_marked(
    client: Client, scene: dict[str, Station]
) -> None:
    html = nearby(client, all="1").content.decode()
    assert ids(html) == [scene["closed_now"].pk, scene["dry"].pk, scene["water"].pk]
    card = html.split(f'data-station-id="{scene["closed_now"].pk}"', 1)[1].split("</li>", 1)[0]
    assert 'data-open="0"' in html
    assert 'data-testid="closed-now"' in card


def test_navigation_links_open_the_map_apps_at_the_gcj02_point(
    client: Client, scene: dict[str, Station]
) -> None:
    html = nearby(client, amenity="water").content.decode()
    station = scene["water"]
    lat, lng = f"{station.lat:.6f}", f"{station.lng:.6f}"
    name = quote(station.name, safe="")
    assert (
        f"amapuri://route/plan/?sourceApplication=shegong&amp;dlat={lat}&amp;dlon={lng}&amp;dname={name}"
        in html
    )
    assert "&amp;t=2" in html  # walking
    assert f"baidumap://map/direction?destination=latlng:{lat},{lng}|name:{name}&amp;coord_type=gcj02" in html
    assert "mode=walking" in html
    assert (
        f"qqmap://map/routeplan?type=walk&amp;to={name}&amp;tocoord={lat},{lng}&amp;referer=shegong" in html
    )
    assert "https://uri.amap.com/navigation?to=" + quote(f"{lng},{lat},", safe="") in html
    assert "丙驿站" in html


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "nan", "lng": "123.42"},
        {"lat": "inf", "lng": "123.42"},
        {"lat": "51.5", "lng": "-0.12"},  # London
        {"lat": "abc", "lng": "123.42"},
        {"lat": "41.82"},
        {"lat": "41.82", "lng": "123.42", "coords": "bd09"},
    ],
)
def test_bad_coordinates_give_a_clear_message_and_save_nothing(
    client: Client, scene: dict[str, Station], params: dict[str, str]
) -> None:
    response = client.get(NEARBY, params)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="page-error"' in html
    assert 'data-testid="results"' not in html
    assert 'data-testid="street-fallback"' in html  # the rider can still choose a street
    assert not RateCounter.objects.exists()
    assert not StationVisit.objects.exists()
    assert not StationFeedback.objects.exists()


def test_an_unknown_amenity_is_said_and_ignored(client: Client, scene: dict[str, Station]) -> None:
    response = nearby(client, amenity="sauna")
    html = response.content.decode()
    assert response.status_code == 200
    assert "sauna" in html
    assert ids(html) == [scene["dry"].pk, scene["water"].pk]


def test_the_nearby_search_is_rate_limited_per_address(
    client: Client, scene: dict[str, Station], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shegong.stations.h5 import nearby as view

    monkeypatch.setattr(view, "NEAREST_LIMIT", 2)
    assert nearby(client).status_code == 200
    assert nearby(client).status_code == 200
    response = nearby(client)
    assert response.status_code == 429
    assert 'data-testid="results"' not in response.content.decode()


# --- street fallback ------------------------------------------------------------------------------------


def test_choosing_a_street_lists_its_stations_open_first(
    client: Client, world: World, make_station: Callable[..., Station]
) -> None:
    other_street = Division.objects.create(code="210105002000", name="另一街道", level=9, parent=world.home)
    closed_now = make_station(name="A驿站", division=world.home_street, opening_hours={})
    open_in_community = make_station(name="B驿站", division=world.home_community)
    open_in_street = make_station(name="C驿站", division=world.home_street, amenities=["toilet"])
    make_station(name="D驿站", division=world.home_street, status=Status.SUSPENDED)
    make_station(name="E驿站", division=other_street)
    make_station(name="F驿站", division=world.home_street, status=Status.CLOSED)

    streets = client.get(NEARBY, {"district": world.home.code}).content.decode()
    assert 'data-testid="place-street"' in streets
    assert world.home_street.name in streets
    assert 'data-mode="choose"' in streets

    html = client.get(
        NEARBY, {"district": world.home.code, "street": world.home_street.code}
    ).content.decode()
    assert 'data-mode="street"' in html
    assert ids(html, "street-results") == [open_in_community.pk, open_in_street.pk, closed_now.pk]
    water = client.get(
        NEARBY, {"district": world.home.code, "street": world.home_street.code, "amenity": "water"}
    ).content.decode()
    assert ids(water, "street-results") == [open_in_community.pk, closed_now.pk]


def test_a_street_outside_the_chosen_district_is_ignored(client: Client, world: World) -> None:
    html = client.get(
        NEARBY, {"district": world.home.code, "street": world.away_street.code}
    ).content.decode()
    assert 'data-testid="street-results"' not in html


# --- station page ---------------------------------------------------------------------------------------


def test_the_station_page_shows_hours_services_and_a_masked_phone(
    client: Client, make_station: Callable[..., Station]
) -> None:
    station = make_station(
        opening_hours={"mon": [["08:00", "12:00"], ["14:00", "20:00"]], "sat": "24h"},
        amenities=["water", "toilet"],
        contact_phone="13812345678",
    )
    html = client.get(reverse("stations:h5_station", args=[station.pk])).content.decode()
    assert station.name in html
    assert re.search(r'data-day="mon"><th scope="row">Mondays.*?</th><td>08:00–12:00, 14:00–20:00</td>', html)
    assert re.search(r'data-day="sat"><th scope="row">Saturdays.*?</th><td>Open all day</td>', html)
    assert re.search(r'data-day="sun"><th scope="row">Sundays.*?</th><td>Rest day</td>', html)
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "tel:" not in html
    assert 'data-amenity="water"' in html
    assert 'data-amenity="toilet"' in html
    assert 'data-testid="nav-links"' in html


def test_todays_exception_is_shown(client: Client, make_station: Callable[..., Station]) -> None:
    from django.utils import timezone

    from shegong.stations.hours import LOCAL_TZ

    station = make_station()
    today = timezone.now().astimezone(LOCAL_TZ).date()
    StationException.objects.create(station=station, date=today, closed=True, note="设备检修")
    html = client.get(reverse("stations:h5_station", args=[station.pk])).content.decode()
    block = html.split('data-testid="exception-today"', 1)[1].split("</div>", 1)[0]
    assert "Rest day" in block
    assert "设备检修" in block
    assert 'data-testid="closed-now"' in html


def test_closed_down_stations_have_no_page_but_suspended_ones_say_so(
    client: Client, make_station: Callable[..., Station]
) -> None:
    closed = make_station(status=Status.CLOSED)
    suspended = make_station(status=Status.SUSPENDED)
    assert client.get(reverse("stations:h5_station", args=[closed.pk])).status_code == 404
    assert client.get(reverse("stations:h5_station", args=[999999])).status_code == 404
    html = client.get(reverse("stations:h5_station", args=[suspended.pk])).content.decode()
    assert 'data-testid="status"' in html
    assert "Temporarily suspended" in html


def test_photos_are_linked_only_through_the_photo_view(
    client: Client, make_station: Callable[..., Station]
) -> None:
    station = make_station()
    photo = StationPhoto.objects.create(
        station=station, file="stations/2026/01/x.jpg", content_type="image/jpeg", size=10, sha256="0" * 64
    )
    html = client.get(reverse("stations:h5_station", args=[station.pk])).content.decode()
    try:
        url = reverse("stations:photo", kwargs={"photo_id": photo.pk})
    except NoReverseMatch:  # the desk's photo view is not installed yet: no photos, no broken images
        assert 'data-testid="photos"' not in html
    else:
        assert f'src="{url}"' in html
    assert "stations/2026/01/x.jpg" not in html


# --- feedback -------------------------------------------------------------------------------------------


def test_thumbs_up_needs_no_login_and_counts_once_a_day(
    client: Client, make_station: Callable[..., Station]
) -> None:
    station = make_station()
    url = reverse("stations:h5_thumbs_up", args=[station.pk])
    first = client.post(url)
    assert first.status_code == 302
    assert first["Location"] == reverse("stations:h5_station", args=[station.pk])
    client.post(url)
    assert StationFeedback.objects.filter(station=station, kind=FeedbackKind.THUMBS_UP).count() == 1
    page = client.get(first["Location"]).content.decode()
    assert "already gave this station a thumbs-up today" in page
    assert client.get(url).status_code == 405


def test_feedback_forms_need_the_csrf_token(make_station: Callable[..., Station]) -> None:
    station = make_station()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("stations:h5_thumbs_up", args=[station.pk])).status_code == 403
    assert strict.post(reverse("stations:h5_checkin", args=[station.checkin_token])).status_code == 403
    assert not StationFeedback.objects.exists()
    assert not StationVisit.objects.exists()


def _last_code() -> str:
    sms = [m for m in notify.ConsoleSMSBackend.outbox if m.phone == PHONE][-1]
    found = re.search(r"\b(\d{6})\b", sms.text)
    assert found is not None
    return found.group(1)


def test_a_problem_report_runs_the_code_flow_and_files_an_appeal(
    client: Client,
    world: World,
    make_station: Callable[..., Station],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    station = make_station(division=world.home_street, operator_unit=world.home_unit)
    url = reverse("stations:h5_report", args=[station.pk])
    report = {"kind": FeedbackKind.NO_WATER, "note": "饮水机没水", "worker_type": "courier"}

    # no phone, no code: refused, nothing written
    refused = client.post(url, report)
    assert refused.status_code == 400
    assert 'data-testid="field-error-phone"' in refused.content.decode()
    assert not Appeal.all_objects.exists()

    # "get a code" as htmx does it, against the appeals verification endpoint
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(VERIFY, {"phone": PHONE, "action": "send"}, HTTP_HX_REQUEST="true")
    assert sent.status_code == 200
    wrong = client.post(url, {**report, "phone": PHONE, "code": f"{(int(_last_code()) + 1) % 10**6:06d}"})
    assert wrong.status_code == 400
    assert 'data-testid="field-error-code"' in wrong.content.decode()
    assert not Appeal.all_objects.exists()

    done = client.post(url, {**report, "phone": PHONE, "code": _last_code()})
    appeal = Appeal.all_objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("appeals:h5_done", kwargs={"tracking_no": appeal.tracking_no})
    assert appeal.state == State.DISPATCHED
    assert appeal.worker_type == "courier"
    feedback = StationFeedback.objects.get()
    assert feedback.appeal_id == appeal.pk
    assert PHONE not in str(StationFeedback.objects.values().get())

    # the phone is now confirmed in this session: the next report needs no code
    page = client.get(reverse("stations:h5_station", args=[station.pk])).content.decode()
    assert 'data-testid="verified-phone"' in page
    again = client.post(url, {"kind": FeedbackKind.WRONG_LOCATION, "worker_type": "other"})
    assert again.status_code == 302
    assert Appeal.all_objects.count() == 2


def test_a_bad_problem_kind_is_a_form_error(
    client: Client,
    make_station: Callable[..., Station],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    station = make_station()
    url = reverse("stations:h5_report", args=[station.pk])
    response = client.post(
        url, {"kind": FeedbackKind.THUMBS_UP, "worker_type": "other", "phone": PHONE, "code": "1"}
    )
    assert response.status_code == 400
    assert 'data-testid="field-error-kind"' in response.content.decode()
    assert not StationFeedback.objects.exists()


def test_sending_a_code_without_javascript_redraws_the_form(
    client: Client,
    make_station: Callable[..., Station],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    station = make_station()
    url = reverse("stations:h5_report", args=[station.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": "send", "phone": PHONE, "kind": FeedbackKind.NO_WATER, "note": "x"}
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "We sent a 6-digit code" in html
    assert f'value="{PHONE}"' in html
    assert '<details class="sg-st-report" open' in html
    assert _last_code()
    assert not StationFeedback.objects.exists()


# --- check-in -------------------------------------------------------------------------------------------


def test_check_in_records_once_an_hour_and_thanks(
    client: Client, make_station: Callable[..., Station]
) -> None:
    station = make_station(amenities=["water", "microwave"])
    url = reverse("stations:h5_checkin", args=[station.checkin_token])
    assert url == f"/h5/stations/checkin/{station.checkin_token}/"
    page = client.get(url).content.decode()
    assert 'data-testid="checkin"' in page
    assert not StationVisit.objects.exists()  # looking is not checking in

    first = client.post(url).content.decode()
    assert 'data-testid="checked-in"' in first
    assert 'data-amenity="microwave"' in first
    second = client.post(url).content.decode()
    assert 'data-testid="already"' in second
    assert StationVisit.objects.filter(station=station).count() == 1

    other_rider = Client()
    other_rider.post(url)
    assert StationVisit.objects.filter(station=station).count() == 2


def test_an_unknown_or_renewed_code_is_a_404_page(
    client: Client, world: World, make_station: Callable[..., Station]
) -> None:
    from shegong.accounts.choices import Role
    from shegong.stations.services import checkin_code_renew

    station = make_station(division=world.home_street)
    old = station.checkin_token
    checkin_code_renew(actor=world.user(Role.SOCIAL_WORKER), station=station)
    for token in (old, "nope"):
        response = client.post(f"/h5/stations/checkin/{token}/")
        assert response.status_code == 404
        assert 'data-testid="unknown-code"' in response.content.decode()
    assert not StationVisit.objects.exists()


def test_a_closed_station_refuses_check_ins(client: Client, make_station: Callable[..., Station]) -> None:
    station = make_station(status=Status.CLOSED)
    url = reverse("stations:h5_checkin", args=[station.checkin_token])
    page = client.get(url).content.decode()
    assert 'data-testid="refused"' in page
    assert 'data-testid="checkin"' not in page
    response = client.post(url)
    assert response.status_code == 409
    assert not StationVisit.objects.exists()
