"""The usage page: check-ins and feedback per station in the user's scope over a date range (default the
last 30 days), most used first, with the newest problem's appeal (a link only for those who may open it),
totals by day, week or month, and a query count that does not grow with the stations shown."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.stations import selectors
from shegong.stations.choices import FeedbackKind
from shegong.stations.hours import LOCAL_TZ
from shegong.stations.models import Station
from tests.appeals.test_desk_support import drive
from tests.stations.desk_support import english, feedback, station, visits
from tests.support.world import World

pytestmark = pytest.mark.django_db
USAGE = "/desk/stations/usage/"


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL_TZ)


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return english(client)


def usage_rows(response: Any) -> list[tuple[int, int, int, int]]:
    html = response.content.decode()
    rows = re.findall(
        r'data-station-id="(\d+)">.*?data-testid="usage-visits">(\d+)<.*?data-testid="usage-thumbs">(\d+)<'
        r'.*?data-testid="usage-problems">(\d+)<',
        html,
        flags=re.S,
    )
    return [tuple(int(x) for x in row) for row in rows]  # type: ignore[misc]


def test_counts_per_station_most_used_first_within_the_range(world: World, client: Client) -> None:
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    quiet = station(world.home_street, name="A驿站")
    busy = station(world.home_community, name="B驿站")
    station(world.away_street, name="远方驿站", lat=22.82, lng=108.38)
    visits(busy, at(today - dt.timedelta(days=3)), 4)
    visits(quiet, at(today - dt.timedelta(days=1)), 1)
    visits(quiet, at(today - dt.timedelta(days=45)), 10)  # before the default 30 days
    feedback(busy, FeedbackKind.THUMBS_UP, at(today - dt.timedelta(days=3)))
    feedback(busy, FeedbackKind.NO_WATER, at(today - dt.timedelta(days=2)))
    feedback(quiet, FeedbackKind.THUMBS_UP, at(today - dt.timedelta(days=2)))
    response = signed_in(client, world.user(Role.LEADER, world.home)).get(USAGE)
    assert response.status_code == 200
    assert usage_rows(response) == [(busy.pk, 4, 1, 1), (quiet.pk, 1, 1, 0)]
    assert "远方驿站" not in response.content.decode()
    wider = signed_in(Client(), world.user(Role.LEADER, world.home)).get(
        USAGE, {"date_from": (today - dt.timedelta(days=60)).isoformat(), "date_to": today.isoformat()}
    )
    assert usage_rows(wider)[0] == (quiet.pk, 11, 1, 0)


def test_totals_by_day_week_and_month(world: World, client: Client) -> None:
    target = station(world.home_street)
    monday = dt.date(2026, 11, 2)
    visits(target, at(monday), 2)
    visits(target, at(monday + dt.timedelta(days=2)), 3)  # the same week
    visits(target, at(monday + dt.timedelta(days=7)), 1)  # the next week, same month
    visits(target, at(dt.date(2026, 10, 30), hour=23), 5)  # late evening in Shanghai: still 30 October
    feedback(target, FeedbackKind.THUMBS_UP, at(monday))
    qs = Station.all_objects.all()
    start, end = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
    by_day = selectors.usage_by_period(qs, start=start, end=end, period="day")
    assert [(r["period"].isoformat(), r["visits"], r["thumbs_up"]) for r in by_day] == [
        ("2026-10-30", 5, 0),
        ("2026-11-02", 2, 1),
        ("2026-11-04", 3, 0),
        ("2026-11-09", 1, 0),
    ]
    by_week = selectors.usage_by_period(qs, start=start, end=end, period="week")
    assert [(r["period"].isoformat(), r["visits"]) for r in by_week] == [
        ("2026-10-26", 5),
        ("2026-11-02", 5),
        ("2026-11-09", 1),
    ]
    by_month = selectors.usage_by_period(qs, start=start, end=end, period="month")
    assert [(r["period"].isoformat(), r["visits"]) for r in by_month] == [
        ("2026-10-01", 5),
        ("2026-11-01", 6),
    ]
    page = signed_in(client, world.user(Role.LEADER, world.home)).get(
        USAGE, {"date_from": "2026-10-01", "date_to": "2026-11-30", "period": "week"}
    )
    assert page.content.decode().count('data-testid="period-row"') == 3


def test_the_newest_problems_appeal_is_a_link_only_for_those_who_may_open_it(
    world: World, client: Client
) -> None:
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    target = station(world.home_street)
    older = drive(world, world.home_street, State.SUBMITTED)
    newer = drive(world, world.home_street, State.SUBMITTED)
    feedback(target, FeedbackKind.NO_WATER, at(today - dt.timedelta(days=3)), appeal=older)
    feedback(target, FeedbackKind.CLOSED_WHEN_OPEN, at(today - dt.timedelta(days=1)), appeal=newer)
    leader = signed_in(client, world.user(Role.LEADER, world.home)).get(USAGE).content.decode()
    assert f'href="/desk/appeals/{newer.tracking_no}/"' in leader
    assert older.tracking_no not in leader
    worker = signed_in(Client(), world.user(Role.SOCIAL_WORKER, world.home)).get(USAGE).content.decode()
    assert newer.tracking_no in worker  # the number, to quote on the phone…
    assert f'href="/desk/appeals/{newer.tracking_no}/"' not in worker  # …but no link he could not open


def test_query_count_does_not_grow_with_the_stations(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    for i in range(40):
        target = station(world.home_street, name=f"驿站{i:02d}")
        visits(target, at(today), i % 4)
        feedback(target, FeedbackKind.THUMBS_UP, at(today))
    c = signed_in(client, world.user(Role.LEADER, world.home))
    with django_assert_max_num_queries(16):
        response = c.get(USAGE)
    assert len(usage_rows(response)) == 40


def test_bad_dates_fall_back_to_the_last_30_days_with_a_message(world: World, client: Client) -> None:
    c = signed_in(client, world.user(Role.LEADER, world.home))
    response = c.get(USAGE, {"date_from": "2026-11-20", "date_to": "2026-11-01", "period": "year"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="filter-error"') == 2
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    assert (today - dt.timedelta(days=29)).isoformat() in response.content.decode()


def test_detail_page_lists_the_stations_feedback(world: World, client: Client) -> None:
    today = timezone.localdate(timezone.now(), LOCAL_TZ)
    target = station(world.home_street)
    appeal = drive(world, world.home_street, State.SUBMITTED)
    feedback(target, FeedbackKind.THUMBS_UP, at(today))
    feedback(target, FeedbackKind.NO_WATER, at(today), appeal=appeal, note="饮水机没水")
    visits(target, at(today), 3)
    body = (
        signed_in(client, world.user(Role.LEADER, world.home))
        .get(f"/desk/stations/{target.pk}/")
        .content.decode()
    )
    assert body.count('data-testid="feedback-row"') == 2
    assert "饮水机没水" in body
    assert f'href="/desk/appeals/{appeal.tracking_no}/"' in body
    assert 'data-testid="usage-visits">3<' in body
    assert 'data-testid="usage-problems">1<' in body
