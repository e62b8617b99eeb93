"""The indicator pages and the Excel export: behaviour, masking, formula neutralising, audit, and the
scoped suite for every page."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from shegong.accounts.choices import Role
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.indicators.services import exclusion_add
from shegong.appeals.models import Appeal, RateExclusion
from shegong.core.models import AuditEvent
from shegong.divisions.models import Unit
from tests.appeals.conftest import PHONE, Actors
from tests.appeals.indicator_support import TZ, at, closed_good, filed, second_unit, the_six
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

MARCH_QUERY = {"period": "custom", "date_from": "2026-03-01", "date_to": "2026-03-31"}


def english(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def workbook(response: Any) -> Any:
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def all_cells(book: Any) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]


# --- the report page -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_rates_with_counts(actors: Actors, client: Client) -> None:
    the_six(actors)
    response = english(client, actors.leader).get(
        reverse("appeals:indicators"), {**MARCH_QUERY, "group": "unit"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="indicator-row"' in html
    assert 'data-testid="total-response">66.7%' in html  # 4 of 6 before any exclusion
    assert "4/6" in html
    assert actors.world.home_unit.name in html


@pytest.mark.django_db
def test_zero_denominators_show_a_dash(actors: Actors, client: Client) -> None:
    flow = filed(actors, at(9, 8, 30)).dispatch(at(9, 9)).sign(at(9, 10)).reply(at(9, 11))
    flow.close_unrated(at(16, 12))
    response = english(client, actors.leader).get(
        reverse("appeals:indicators"), {**MARCH_QUERY, "group": "unit"}
    )
    html = response.content.decode()
    assert 'data-testid="cell-resolution">—' in html
    assert 'data-testid="cell-on_time">100.0%' in html


@pytest.mark.django_db
def test_empty_period_shows_the_empty_state_and_no_export(actors: Actors, client: Client) -> None:
    response = english(client, actors.leader).get(reverse("appeals:indicators"), MARCH_QUERY)
    html = response.content.decode()
    assert 'data-testid="empty-state"' in html
    assert 'data-testid="indicators-export"' not in html


@pytest.mark.django_db
def test_default_view_of_a_unit_head_is_their_unit_row(actors: Actors, client: Client) -> None:
    unit2, handler2 = second_unit(actors)
    closed_good(actors)
    flow = filed(actors, at(9, 8, 30), division=actors.world.home_street, handler=handler2)
    flow.dispatch(at(9, 9), unit=unit2).sign(at(9, 10)).contact(at(9, 11)).reply(at(10, 9)).rate(at(10, 10))
    html = english(client, handler2).get(reverse("appeals:indicators"), MARCH_QUERY).content.decode()
    assert html.count('data-testid="indicator-row"') == 1
    assert unit2.name in html
    assert actors.world.home_unit.name not in html


@pytest.mark.django_db
def test_leader_drills_down_from_the_district_to_a_street(actors: Actors, client: Client) -> None:
    closed_good(actors)
    english(client, actors.leader)
    html = client.get(reverse("appeals:indicators"), MARCH_QUERY).content.decode()
    assert "测试街道" in html  # the leader's district, grouped by its streets
    assert "division=210105001000" in html
    street = client.get(reverse("appeals:indicators"), {**MARCH_QUERY, "division": "210105001000"})
    assert street.status_code == 200
    assert "测试社区" in street.content.decode()


@pytest.mark.django_db
def test_sorting_reorders_the_rows(actors: Actors, client: Client) -> None:
    unit2, handler2 = second_unit(actors)
    closed_good(actors)
    flow = filed(actors, at(9, 8, 30), division=actors.world.home_street, handler=handler2)
    flow.dispatch(at(9, 9), unit=unit2).sign(at(9, 14)).contact(at(9, 15)).reply(at(10, 9)).rate(at(10, 10))
    english(client, actors.leader)
    query = {**MARCH_QUERY, "group": "unit"}
    best_first = client.get(reverse("appeals:indicators"), {**query, "sort": "-response"}).content.decode()
    worst_first = client.get(reverse("appeals:indicators"), {**query, "sort": "response"}).content.decode()
    home, other = actors.world.home_unit.name, unit2.name
    assert best_first.index(home) < best_first.index(other)
    assert worst_first.index(other) < worst_first.index(home)


@pytest.mark.django_db
def test_page_and_export_queries_do_not_grow_with_the_appeals(actors: Actors, client: Client) -> None:
    english(client, actors.leader)
    closed_good(actors)
    client.get(reverse("appeals:indicators"), MARCH_QUERY)  # warms the calendar cache

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(url), MARCH_QUERY).status_code == 200
        return len(ctx.captured_queries)

    few = {url: queries(url) for url in ("appeals:indicators", "appeals:indicators_export")}
    for day in (9, 16, 23):
        closed_good(actors, day=day)
    assert {url: queries(url) for url in few} == few


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"period": "custom", "date_from": "2026-03-31", "date_to": "2026-03-01"},
        {"period": "custom", "date_from": "2026-03-01"},
        {"period": "custom", "date_from": "yesterday", "date_to": "2026-03-01"},
        {"period": "custom", "date_from": "2020-01-01", "date_to": "2026-03-01"},
        {"period": "decade"},
        {"group": "planet"},
    ],
)
def test_bad_input_is_a_form_error(actors: Actors, client: Client, query: dict[str, str]) -> None:
    english(client, actors.leader)
    page = client.get(reverse("appeals:indicators"), query)
    assert page.status_code == 200
    assert "invalid-feedback" in page.content.decode() or 'data-testid="form-errors"' in page.content.decode()
    before = AuditEvent.objects.count()
    assert client.get(reverse("appeals:indicators_export"), query).status_code == 400
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_an_unknown_or_malformed_division_is_404(actors: Actors, client: Client) -> None:
    english(client, actors.leader)
    for code in ("210105009000", "abc", "2101050010010"):
        assert client.get(reverse("appeals:indicators"), {"division": code}).status_code == 404


# --- the export ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_has_summary_and_masked_detail_and_is_audited(actors: Actors, client: Client) -> None:
    six = the_six(actors)
    exclusion_add(appeal=six["a5"], actor=actors.leader, reason='=HYPERLINK("http://evil")')
    before = AuditEvent.objects.filter(action=AppealsAction.INDICATORS_EXPORTED).count()
    response = english(client, actors.leader).get(
        reverse("appeals:indicators_export"), {**MARCH_QUERY, "group": "unit"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = workbook(response)
    summary, detail, excluded = book.worksheets
    cells = all_cells(book)
    assert PHONE not in {str(c) for c in cells}
    assert not any(PHONE in str(c) for c in cells)  # never the full number, not even inside a text

    detail_rows = list(detail.iter_rows(values_only=True))
    header, body = detail_rows[0], detail_rows[1:]
    assert len(body) == 5  # the counted appeals; the excluded one is on its own sheet
    tracking = {row[0] for row in body}
    assert tracking == {six[k].tracking_no for k in ("a1", "a2", "a3", "a4", "a6")}
    phone_column = header.index("Mobile phone")
    assert {row[phone_column] for row in body} == {"138****8000"}
    a3 = next(row for row in body if row[0] == six["a3"].tracking_no)
    assert a3[header.index("Signed for in time")] == "Yes"
    assert a3[header.index("Contacted in time")] == "No"
    assert a3[header.index("Replied in time")] == "No"
    assert a3[header.index("Handling time (working hours)")] == 44.5

    excluded_rows = list(excluded.iter_rows(values_only=True))
    assert excluded_rows[1][0] == six["a5"].tracking_no
    assert excluded_rows[1][-1] == '\'=HYPERLINK("http://evil")'  # neutralised, shown as text

    summary_rows = list(summary.iter_rows(values_only=True))
    unit_row = next(row for row in summary_rows if row and row[0] == actors.world.home_unit.name)
    assert unit_row[1:3] == (5, 1)
    assert unit_row[3:6] == (60.0, 3, 5)  # response rate, numerator, denominator

    events = AuditEvent.objects.filter(action=AppealsAction.INDICATORS_EXPORTED)
    assert events.count() == before + 1
    event = events.latest("pk")
    assert event.actor == actors.leader
    assert event.changes["appeals"] == 5
    assert event.changes["excluded"] == 1
    assert event.changes["period"] == ["2026-03-01", "2026-03-31"]


@pytest.mark.django_db
def test_export_neutralises_formulas_in_names(actors: Actors, client: Client) -> None:
    evil = Unit.all_objects.create(name="=1+2", unit_type="other", division=actors.world.home)
    handler = actors.world.user(Role.HANDLER, actors.world.home, unit=evil)
    flow = filed(actors, at(9, 8, 30), handler=handler).dispatch(at(9, 9), unit=evil)
    flow.sign(at(9, 10)).contact(at(9, 11)).reply(at(10, 9)).rate(at(10, 10))
    response = english(client, actors.leader).get(
        reverse("appeals:indicators_export"), {**MARCH_QUERY, "group": "unit"}
    )
    cells = [str(c) for c in all_cells(workbook(response)) if c is not None]
    assert "'=1+2" in cells
    assert "=1+2" not in cells


@pytest.mark.django_db
def test_anonymous_workers_phone_is_not_even_masked(actors: Actors, client: Client) -> None:
    closed_good(actors, anonymous=True)
    response = english(client, actors.leader).get(reverse("appeals:indicators_export"), MARCH_QUERY)
    cells = [str(c) for c in all_cells(workbook(response)) if c is not None]
    assert "Anonymous" in cells
    assert not any("8000" in c for c in cells)


# --- exclusion pages -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exclude_page_needs_a_confirmation_and_a_reason(actors: Actors, client: Client) -> None:
    appeal = closed_good(actors)
    url = reverse("appeals:exclude", args=[appeal.tracking_no])
    english(client, actors.leader)
    assert 'data-testid="exclude-form"' in client.get(url).content.decode()
    unconfirmed = client.post(url, {"reason": "无理诉求"})
    assert unconfirmed.status_code == 200
    assert not RateExclusion.objects.exists()
    done = client.post(url, {"reason": "无理诉求", "confirm": "on"})
    assert done.status_code == 302
    assert RateExclusion.objects.get().appeal == appeal
    # a second attempt (another tab) is refused with the existing exclusion shown
    again = client.post(url, {"reason": "又一次", "confirm": "on"})
    assert again.status_code == 409
    assert 'data-testid="already-excluded"' in again.content.decode()
    assert RateExclusion.objects.count() == 1


@pytest.mark.django_db
def test_exclude_accepts_a_typed_tracking_number(actors: Actors, client: Client) -> None:
    appeal = closed_good(actors)
    typed = appeal.tracking_no.replace("-", "").lower()
    response = english(client, actors.leader).get(reverse("appeals:exclude", args=[typed]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_exclusions_list_and_lift(actors: Actors, client: Client) -> None:
    appeal = closed_good(actors)
    exclusion = exclusion_add(appeal=appeal, actor=actors.leader, reason="无理诉求")
    english(client, actors.leader)
    html = client.get(reverse("appeals:exclusions")).content.decode()
    assert appeal.tracking_no in html
    assert 'data-testid="lift-link"' in html
    # intake sees the list but may not lift
    intake_html = english(Client(), actors.intake).get(reverse("appeals:exclusions")).content.decode()
    assert appeal.tracking_no in intake_html
    assert 'data-testid="lift-link"' not in intake_html

    url = reverse("appeals:exclusion_lift", args=[exclusion.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # form error, nothing lifted
    assert RateExclusion.objects.exists()
    assert client.post(url, {"reason": "复核后合理"}).status_code == 302
    assert not RateExclusion.objects.exists()
    assert 'data-testid="empty-state"' in client.get(reverse("appeals:exclusions")).content.decode()


# --- scoped suites -------------------------------------------------------------------------------------


def closed_appeal(world: World, division: Any) -> Appeal:
    """A closed appeal written directly (the scope suite needs the row, not its history)."""
    unit = world.home_unit if division.code.startswith("210105") else world.away_unit
    when = dt.datetime(2026, 3, 11, 10, tzinfo=TZ)
    return Appeal.all_objects.create(
        text="站点拖欠配送费",
        division=division,
        phone=PHONE,
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
        state=State.CLOSED,
        unit=unit,
        dispatched_at=when - dt.timedelta(days=2),
        replied_at=when - dt.timedelta(hours=1),
        closed_at=when,
    )


def excluded_appeal(world: World, division: Any) -> RateExclusion:
    appeal = closed_appeal(world, division)
    return RateExclusion.objects.create(appeal=appeal, reason="无理诉求", by=world.user(Role.LEADER))


class _PageSuite(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.LEADER
    forbidden_role = Role.SOCIAL_WORKER  # a desk user without the appeals permissions
    watched_models = (RateExclusion,)

    def make_object(self, world: World, division: Any) -> Appeal:
        return closed_appeal(world, division)

    def marker(self, obj: Any) -> str:
        return obj.tracking_no if isinstance(obj, Appeal) else obj.appeal.tracking_no


class TestIndicatorsPage(_PageSuite):
    def url(self, obj: Any) -> str:
        return (
            reverse("appeals:indicators")
            + f"?division={obj.division_id}&period=custom"
            + ("&date_from=2026-03-01&date_to=2026-03-31")
        )


class TestIndicatorsExport(_PageSuite):
    def url(self, obj: Any) -> str:
        return (
            reverse("appeals:indicators_export")
            + f"?division={obj.division_id}&period=custom"
            + ("&date_from=2026-03-01&date_to=2026-03-31")
        )


class TestExclusionsList(_PageSuite):
    def make_object(self, world: World, division: Any) -> RateExclusion:  # type: ignore[override]
        return excluded_appeal(world, division)

    def url(self, obj: Any) -> str:
        return reverse("appeals:exclusions") + f"?division={obj.appeal.division_id}"


class TestExcludePage(_PageSuite):
    forbidden_role = Role.INTAKE  # sees the appeal, may not exclude it

    def url(self, obj: Any) -> str:
        return reverse("appeals:exclude", args=[obj.tracking_no])


class TestExcludePost(TestExcludePage):
    method = "post"
    success_status = 302

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reason": "无理诉求", "confirm": "on"}


class TestLiftPage(_PageSuite):
    forbidden_role = Role.INTAKE

    def make_object(self, world: World, division: Any) -> RateExclusion:  # type: ignore[override]
        return excluded_appeal(world, division)

    def url(self, obj: Any) -> str:
        return reverse("appeals:exclusion_lift", args=[obj.pk])


class TestLiftPost(TestLiftPage):
    method = "post"
    success_status = 302

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"reason": "复核后合理"}
