"""The stations desk pages: every page and action in the scoped suite (in scope, out of scope 404, a role
without the right 403, anonymous to the login page, nothing written on a refusal), then what users see and
do: the list's search, filters, sorting and counts; the form with the hours editor, coordinates and the
masked phone; the audited "show in full"; confirmations; exceptions; the check-in poster."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest
from django.db import models
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.core.audit import CoreAction
from shegong.core.models import AuditEvent
from shegong.stations import geo
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import Kind, Status
from shegong.stations.models import Station, StationException, StationFeedback, StationPhoto, StationVisit
from tests.stations.desk_support import EVERY_DAY_24H, english, station, visits
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

LIST = "/desk/stations/"


class DeskSuite(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.SOCIAL_WORKER
    forbidden_role = Role.LEADER  # sees stations, may not change them
    watched_models: ClassVar[tuple[type[models.Model], ...]] = (
        Station,
        StationException,
        StationPhoto,
        StationVisit,
        StationFeedback,
    )

    def make_object(self, world: World, division: Any) -> models.Model:
        lat, lng = (41.82, 123.42) if division.code.startswith("21") else (22.82, 108.38)
        return station(division, name=f"驿站{division.code}", lat=lat, lng=lng)

    def login(self, client: Client, user: Any) -> Client:
        client.force_login(user)
        return english(client)

    def marker(self, obj: Any) -> str:
        return obj.name


class ViewSuite(DeskSuite):
    forbidden_role = Role.VOLUNTEER  # holds no station permission


class TestListPage(ViewSuite):
    """A division filter outside the user's area is a 404 (the list never says what lies there)."""

    def url(self, obj: Any) -> str:
        return f"{LIST}?division={obj.division_id[:9]}"


class TestDetailPage(ViewSuite):
    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/"


class TestPosterPage(ViewSuite):
    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/poster/"


class TestUsagePage(ViewSuite):
    def url(self, obj: Any) -> str:
        return f"{LIST}usage/?division={obj.division_id[:9]}"


class TestEditPage(DeskSuite):
    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/edit/"


class TestEditPost(DeskSuite):
    method = "post"
    success_status = 302

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/edit/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {**form_data(obj.division_id), "name": "改名后的驿站", "address": "改过的地址"}


class TestRevealPhone(DeskSuite):
    method = "post"

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reveal_field": "contact_phone", "reason": "联系驿站核实开放时间"}


class TestStatusConfirmPage(DeskSuite):
    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/status/?status=suspended"


class TestStatusPost(DeskSuite):
    method = "post"
    success_status = 302

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/status/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"status": Status.SUSPENDED}


class TestDeletePost(DeskSuite):
    method = "post"
    success_status = 302

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/delete/"


class TestRenewPost(DeskSuite):
    method = "post"
    success_status = 302

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/qr/renew/"


class TestExceptionAdd(DeskSuite):
    method = "post"
    success_status = 302

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.pk}/exceptions/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"exc-date": "2027-02-06", "exc-mode": "closed", "exc-note": "春节"}


class TestExceptionRemove(DeskSuite):
    method = "post"
    success_status = 302

    def make_object(self, world: World, division: Any) -> models.Model:
        target = super().make_object(world, division)
        return StationException.objects.create(station=target, date=dt.date(2027, 2, 6), closed=True)

    def url(self, obj: Any) -> str:
        return f"{LIST}{obj.station_id}/exceptions/{obj.pk}/remove/"

    def marker(self, obj: Any) -> str:
        return obj.station.name


# --- the list --------------------------------------------------------------------------------------------
def client_for(client: Client, user: Any) -> Client:
    client.force_login(user)
    return english(client)


def row_ids(response: Any) -> list[int]:
    import re

    return [
        int(x)
        for x in re.findall(r'data-testid="station-row" data-station-id="(\d+)"', response.content.decode())
    ]


@pytest.mark.django_db
def test_list_shows_only_the_jurisdiction_with_counts(world: World, client: Client) -> None:
    a = station(world.home_street, name="华山路爱心驿站")
    b = station(world.home_community, name="岐山路工会之家", status=Status.SUSPENDED)
    station(world.away_street, name="青秀驿站", lat=22.82, lng=108.38)
    response = client_for(client, world.user(Role.LEADER, world.home)).get(LIST)
    assert response.status_code == 200
    assert set(row_ids(response)) == {a.pk, b.pk}
    body = response.content.decode()
    assert "青秀驿站" not in body
    assert 'data-status="suspended">Temporarily suspended 1<' in body
    assert 'data-testid="station-new"' not in body  # a leader only views


@pytest.mark.django_db
def test_list_search_and_filters(world: World, client: Client) -> None:
    water = station(
        world.home_street, name="华山路爱心驿站", address="华山路12号", amenities=["water", "toilet"]
    )
    shop = station(
        world.home_community,
        name="罗森岐山店",
        kind=Kind.PARTNER_SHOP,
        address="岐山路3号",
        amenities=["phone_charging"],
    )
    closed = station(world.home_street, name="旧驿站", status=Status.CLOSED)
    night = station(world.home_street, name="夜间驿站", opening_hours={"sun": [["00:00", "00:01"]]})
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    assert row_ids(c.get(LIST, {"q": "岐山路"})) == [shop.pk]
    assert row_ids(c.get(LIST, {"kind": Kind.PARTNER_SHOP})) == [shop.pk]
    assert row_ids(c.get(LIST, {"status": Status.CLOSED})) == [closed.pk]
    assert row_ids(c.get(LIST, {"amenity": "toilet"})) == [water.pk]
    assert set(row_ids(c.get(LIST, {"division": world.home_community.code}))) == {shop.pk}
    open_now = set(row_ids(c.get(LIST, {"open_now": "on"})))
    assert water.pk in open_now
    assert shop.pk in open_now
    assert closed.pk not in open_now
    assert night.pk not in open_now
    empty = c.get(LIST, {"q": "不存在的"})
    assert 'data-testid="empty-state"' in empty.content.decode()
    assert "No station matches the filters." in empty.content.decode()


@pytest.mark.django_db
def test_list_bad_filter_values_are_reported_not_500(world: World, client: Client) -> None:
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    response = c.get(LIST, {"division": "abc", "kind": "castle", "sort": "drop table"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="filter-error"') >= 2


@pytest.mark.django_db
def test_list_sorts_by_visits_in_the_last_30_days(world: World, client: Client) -> None:
    quiet = station(world.home_street, name="A驿站")
    busy = station(world.home_street, name="B驿站")
    old = station(world.home_street, name="C驿站")
    now = timezone.now()
    visits(busy, now - dt.timedelta(days=2), 5)
    visits(quiet, now - dt.timedelta(days=1), 1)
    visits(old, now - dt.timedelta(days=40), 9)  # outside the window
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    response = c.get(LIST, {"sort": "-visits"})
    assert row_ids(response) == [busy.pk, quiet.pk, old.pk]
    assert row_ids(c.get(LIST)) == [quiet.pk, busy.pk, old.pk]  # by name


@pytest.mark.django_db
def test_list_pages_and_query_count_does_not_grow(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        target = station(world.home_street, name=f"驿站{i:02d}")
        visits(target, timezone.now(), 1)
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    with django_assert_max_num_queries(20):
        first = c.get(LIST)
    assert len(row_ids(first)) == 25
    assert 'data-testid="pagination"' in first.content.decode()
    assert len(row_ids(c.get(LIST, {"page": 2}))) == 5


@pytest.mark.django_db
def test_empty_list_invites_a_manager_to_add_the_first(world: World, client: Client) -> None:
    body = client_for(client, world.user(Role.SOCIAL_WORKER, world.home)).get(LIST).content.decode()
    assert "No station in your jurisdiction yet." in body
    assert "/desk/stations/new/" in body


# --- create and edit -------------------------------------------------------------------------------------
def form_data(division: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "华山路爱心驿站",
        "kind": Kind.LOVE_STATION,
        "division": division,
        "operator_unit": "",
        "address": "沈阳市皇姑区华山路12号",
        "lat": "41.8201",
        "lng": "123.4201",
        "coords": "gcj02",
        "amenities": ["water", "microwave"],
        "contact_phone": "",
        "status": Status.OPEN,
    }
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data[f"hours-{day}-mode"] = "hours"
        data[f"hours-{day}-0-start"] = "8:00"
        data[f"hours-{day}-0-end"] = "12:00"
        data[f"hours-{day}-1-start"] = "14:00"
        data[f"hours-{day}-1-end"] = "20:00"
    data["hours-sat-mode"] = "24h"
    data["hours-sun-mode"] = "closed"
    data["hours-sun-0-start"] = "09:00"  # ignored: the day is closed
    data.update(extra)
    return data


@pytest.mark.django_db
def test_create_a_station_with_hours_and_a_unit(world: World, client: Client) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    c = client_for(client, worker)
    page = c.get(f"{LIST}new/")
    assert page.status_code == 200
    assert "data-sg-copy-monday" in page.content.decode()
    response = c.post(
        f"{LIST}new/",
        form_data(
            world.home_community.code, operator_unit=str(world.home_unit.pk), contact_phone="138 1234 5678"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Station.all_objects.get(name="华山路爱心驿站")
    assert response["Location"] == f"{LIST}{created.pk}/"
    assert created.division == world.home_community
    assert created.operator_unit == world.home_unit
    assert created.opening_hours["mon"] == [["08:00", "12:00"], ["14:00", "20:00"]]
    assert created.opening_hours["sat"] == "24h"
    assert "sun" not in created.opening_hours
    assert created.amenities == ["water", "microwave"]
    assert created.contact_phone == "13812345678"
    assert AuditEvent.objects.filter(action=StationsAction.CREATED, actor=worker).count() == 1


@pytest.mark.django_db
def test_a_phone_gps_position_is_converted_to_map_coordinates(world: World, client: Client) -> None:
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    wgs = geo.gcj02_to_wgs84(41.8201, 123.4201)
    response = c.post(
        f"{LIST}new/", form_data(world.home_street.code, lat=str(wgs[0]), lng=str(wgs[1]), coords="wgs84")
    )
    assert response.status_code == 302
    created = Station.all_objects.get()
    assert geo.haversine_m(created.lat, created.lng, 41.8201, 123.4201) < 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lat", "lng", "message"),
    [
        ("nan", "123.42", "finite"),
        ("48.85", "2.35", "outside China"),
        ("北纬41度", "123.42", "must be numbers"),
    ],
)
def test_bad_coordinates_get_a_clear_message_and_nothing_is_saved(
    world: World, client: Client, lat: str, lng: str, message: str
) -> None:
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    response = c.post(f"{LIST}new/", form_data(world.home_street.code, lat=lat, lng=lng))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="field-error-lat"' in body
    assert message in body
    assert not Station.all_objects.exists()


@pytest.mark.django_db
def test_bad_hours_are_shown_next_to_the_day_and_nothing_is_saved(world: World, client: Client) -> None:
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    data = form_data(world.home_street.code)
    data["hours-tue-0-start"], data["hours-tue-0-end"] = "20:00", "08:00"
    data["hours-wed-1-start"] = "11:00"  # overlaps 08:00–12:00
    data["hours-thu-0-start"] = "25:00"
    data["hours-fri-mode"], data["hours-fri-0-start"], data["hours-fri-0-end"] = "hours", "", ""
    data["hours-fri-1-start"], data["hours-fri-1-end"] = "", ""
    response = c.post(f"{LIST}new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    for day in ("tue", "wed", "thu", "fri"):
        assert f'data-testid="hours-error-{day}"' in body, day
    assert 'data-testid="hours-error-mon"' not in body
    assert 'data-testid="hours-errors"' in body
    assert "overlap" in body
    assert 'value="20:00"' in body  # what was typed is kept
    assert not Station.all_objects.exists()


@pytest.mark.django_db
def test_division_outside_the_managers_area_and_unit_off_the_line_are_refused(
    world: World, client: Client
) -> None:
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    outside = c.post(f"{LIST}new/", form_data(world.away_street.code))
    assert outside.status_code == 400
    assert 'data-testid="field-error-division"' in outside.content.decode()
    off_line = c.post(f"{LIST}new/", form_data(world.home_street.code, operator_unit=str(world.away_unit.pk)))
    assert off_line.status_code == 400
    assert 'data-testid="field-error-operator_unit"' in off_line.content.decode()
    assert not Station.all_objects.exists()


@pytest.mark.django_db
def test_duplicate_name_is_a_form_error(world: World, client: Client) -> None:
    station(world.home_street, name="华山路爱心驿站")
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    response = c.post(f"{LIST}new/", form_data(world.home_street.code))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Station.all_objects.count() == 1


@pytest.mark.django_db
def test_a_view_only_user_cannot_open_the_new_form(world: World, client: Client) -> None:
    c = client_for(client, world.user(Role.LEADER, world.home))
    assert c.get(f"{LIST}new/").status_code == 403
    assert c.post(f"{LIST}new/", form_data(world.home_street.code)).status_code == 403
    assert not Station.all_objects.exists()


@pytest.mark.django_db
def test_edit_keeps_replaces_or_removes_the_phone_and_never_shows_it(world: World, client: Client) -> None:
    target = station(world.home_street, name="华山路爱心驿站")
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    page = c.get(f"{LIST}{target.pk}/edit/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert c.post(f"{LIST}{target.pk}/edit/", form_data(world.home_street.code)).status_code == 302
    target.refresh_from_db()
    assert target.contact_phone == "13812345678"  # empty field: kept
    c.post(f"{LIST}{target.pk}/edit/", form_data(world.home_street.code, contact_phone="13900001111"))
    target.refresh_from_db()
    assert target.contact_phone == "13900001111"
    bad = c.post(f"{LIST}{target.pk}/edit/", form_data(world.home_street.code, contact_phone="010-1234"))
    assert bad.status_code == 400
    assert 'data-testid="field-error-contact_phone"' in bad.content.decode()
    c.post(f"{LIST}{target.pk}/edit/", form_data(world.home_street.code, remove_phone="on"))
    target.refresh_from_db()
    assert target.contact_phone == ""


@pytest.mark.django_db
def test_edit_form_shows_the_stored_hours(world: World, client: Client) -> None:
    target = station(
        world.home_street, opening_hours={"mon": [["08:30", "12:00"], ["13:00", "17:30"]], "sat": "24h"}
    )
    body = client_for(client, world.user(Role.SOCIAL_WORKER, world.home)).get(f"{LIST}{target.pk}/edit/")
    html = body.content.decode()
    assert 'name="hours-mon-1-start" value="13:00"' in html
    assert 'id="hours-sat-mode-24h" value="24h" checked' in html
    assert 'id="hours-sun-mode-closed" value="closed" checked' in html


@pytest.mark.django_db
def test_unit_options_follow_the_division(world: World, client: Client) -> None:
    from shegong.divisions.models import Unit

    street_office = Unit.all_objects.create(
        name="测试街道办事处", unit_type="street_office", division=world.home_street
    )
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    body = c.get(f"{LIST}unit-options/", {"division": world.home_community.code}).content.decode()
    assert street_office.name in body
    assert world.home_unit.name in body
    assert world.away_unit.name not in body


# --- detail, reveal, confirmations -----------------------------------------------------------------------
@pytest.mark.django_db
def test_detail_masks_the_phone_and_reveal_is_audited(world: World, client: Client) -> None:
    target = station(world.home_street)
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    c = client_for(client, worker)
    page = c.get(f"{LIST}{target.pk}/").content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    short = c.post(f"{LIST}{target.pk}/", {"reveal_field": "contact_phone", "reason": "看"})
    assert short.status_code == 400
    assert "13812345678" not in short.content.decode()
    shown = c.post(f"{LIST}{target.pk}/", {"reveal_field": "contact_phone", "reason": "联系驿站核实开放时间"})
    assert "13812345678" in shown.content.decode()
    row = AuditEvent.objects.get(action=CoreAction.PII_REVEALED)
    assert row.actor == worker
    assert row.changes["field"] == "contact_phone"
    leader_page = client_for(Client(), world.user(Role.LEADER, world.home)).get(f"{LIST}{target.pk}/")
    assert 'data-testid="reveal-form-contact_phone"' not in leader_page.content.decode()
    assert 'data-testid="edit-link"' not in leader_page.content.decode()


@pytest.mark.django_db
def test_status_change_asks_first(world: World, client: Client) -> None:
    target = station(world.home_street)
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    ask = c.get(f"{LIST}{target.pk}/status/", {"status": Status.CLOSED})
    assert 'data-testid="confirm-form"' in ask.content.decode()
    target.refresh_from_db()
    assert target.status == Status.OPEN
    assert c.post(f"{LIST}{target.pk}/status/", {"status": Status.CLOSED}).status_code == 302
    target.refresh_from_db()
    assert target.status == Status.CLOSED
    assert c.post(f"{LIST}{target.pk}/status/", {"status": "gone"}).status_code == 302
    target.refresh_from_db()
    assert target.status == Status.CLOSED


@pytest.mark.django_db
def test_delete_of_a_used_station_shows_the_services_message(world: World, client: Client) -> None:
    used = station(world.home_street)
    visits(used, timezone.now())
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    ask = c.get(f"{LIST}{used.pk}/delete/").content.decode()
    assert 'data-testid="close-instead"' in ask
    assert 'data-testid="confirm-form"' not in ask
    refused = c.post(f"{LIST}{used.pk}/delete/", follow=True)
    assert "closed down instead of deleting" in refused.content.decode()
    assert Station.all_objects.filter(pk=used.pk).exists()
    unused = station(world.home_street)
    done = c.post(f"{LIST}{unused.pk}/delete/")
    assert done.status_code == 302
    assert done["Location"] == LIST
    assert not Station.all_objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_renewing_the_qr_code_changes_the_poster(world: World, client: Client) -> None:
    target = station(world.home_street, name="华山路爱心驿站")
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    poster = c.get(f"{LIST}{target.pk}/poster/").content.decode()
    assert "<svg" in poster
    assert 'class="sg-qr"' in poster
    assert "华山路爱心驿站" in poster
    assert "Scan to check in" in poster
    detail = c.get(f"{LIST}{target.pk}/").content.decode()
    assert f"http://testserver/h5/stations/checkin/{target.checkin_token}/" in detail
    old = target.checkin_token
    assert 'data-testid="confirm-form"' in c.get(f"{LIST}{target.pk}/qr/renew/").content.decode()
    c.post(f"{LIST}{target.pk}/qr/renew/")
    target.refresh_from_db()
    assert target.checkin_token != old
    assert old not in c.get(f"{LIST}{target.pk}/").content.decode()


@pytest.mark.django_db
def test_exceptions_are_added_with_special_hours_and_removed_after_confirmation(
    world: World, client: Client
) -> None:
    target = station(world.home_street)
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    day = timezone.localdate() + dt.timedelta(days=10)
    ok = c.post(
        f"{LIST}{target.pk}/exceptions/",
        {"exc-date": day.isoformat(), "exc-mode": "hours", "exc-start_0": "10:00", "exc-end_0": "16:00"},
    )
    assert ok.status_code == 302
    exc = StationException.objects.get(station=target)
    assert exc.opening_hours == [["10:00", "16:00"]]
    assert not exc.closed
    assert f'data-date="{day.isoformat()}"' in c.get(f"{LIST}{target.pk}/").content.decode()
    bad = c.post(
        f"{LIST}{target.pk}/exceptions/",
        {"exc-date": day.isoformat(), "exc-mode": "hours", "exc-start_0": "16:00", "exc-end_0": "10:00"},
    )
    assert bad.status_code == 400
    assert 'data-testid="exception-error"' in bad.content.decode()
    ask = c.get(f"{LIST}{target.pk}/exceptions/{exc.pk}/remove/")
    assert 'data-testid="confirm-form"' in ask.content.decode()
    assert StationException.objects.filter(pk=exc.pk).exists()
    c.post(f"{LIST}{target.pk}/exceptions/{exc.pk}/remove/")
    assert not StationException.objects.filter(pk=exc.pk).exists()


@pytest.mark.django_db
def test_an_exception_of_another_station_is_a_404(world: World, client: Client) -> None:
    mine, other = station(world.home_street), station(world.home_street)
    exc = StationException.objects.create(station=other, date=dt.date(2027, 1, 1), closed=True)
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    assert c.post(f"{LIST}{mine.pk}/exceptions/{exc.pk}/remove/").status_code == 404
    assert StationException.objects.filter(pk=exc.pk).exists()


@pytest.mark.django_db
def test_pages_load_the_static_script_and_no_inline_script(world: World, client: Client) -> None:
    target = station(world.home_street, opening_hours=EVERY_DAY_24H)
    c = client_for(client, world.user(Role.SOCIAL_WORKER, world.home))
    for url in (
        f"{LIST}new/",
        f"{LIST}{target.pk}/",
        f"{LIST}{target.pk}/edit/",
        f"{LIST}{target.pk}/poster/",
    ):
        html = c.get(url).content.decode()
        assert "stations-desk.js" in html
        assert "<script>" not in html
        assert "onclick" not in html
