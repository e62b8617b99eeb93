"""The queue page: default queue per role, tab counts, filters, search, sorting, pages of 20, scope, and a
query count that does not grow with the rows shown; the supervision list's order."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals import services as s
from shegong.appeals.choices import Channel, State, Urgency
from shegong.appeals.filtering import Queue
from shegong.appeals.models import Appeal, Category, Supervision
from shegong.divisions.models import Unit
from tests.appeals.test_desk_support import client_for, drive, handler_of
from tests.support.world import World

pytestmark = pytest.mark.django_db
LIST = "/desk/appeals/"


def _numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return re.findall(r'data-testid="appeal-row" data-tracking-no="([^"]+)"', response.content.decode())


def _tabs(response: Any) -> dict[str, int]:
    html = response.content.decode()
    pairs = re.findall(
        r'data-queue="([a-z_]+)">\s*[^<]*<span [^>]*data-testid="queue-count">(\d+)</span>', html
    )
    return {queue: int(count) for queue, count in pairs}


def _overdue(appeal: Appeal) -> None:
    Appeal.all_objects.filter(pk=appeal.pk).update(sign_due_at=timezone.now() - dt.timedelta(hours=1))


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.INTAKE, Queue.TO_ACCEPT), (Role.HANDLER, Queue.TO_SIGN), (Role.LEADER, Queue.OVERDUE)],
)
def test_default_queue_by_role(world: World, role: str, expected: str) -> None:
    user = handler_of(world, world.home_unit) if role == Role.HANDLER else world.user(role)
    response = client_for(user).get(LIST)
    assert response.context["queue"] == expected
    assert re.search(
        rf'aria-current="page"\s+href="[^"]*" data-testid="queue-tab" data-queue="{expected}"',
        response.content.decode(),
    )


def test_intake_queue_lists_submitted_and_counts_every_tab(world: World) -> None:
    submitted = drive(world, world.home_street, State.SUBMITTED)
    accepted = drive(world, world.home_street, State.ACCEPTED)
    late = drive(world, world.home_street, State.DISPATCHED)
    _overdue(late)
    response = client_for(world.user(Role.INTAKE)).get(LIST)
    assert _numbers(response) == [submitted.tracking_no]
    tabs = _tabs(response)
    assert tabs["to_accept"] == 1
    assert tabs["to_dispatch"] == 1
    assert tabs["overdue"] == 1
    assert tabs["open"] == 3
    assert "to_sign" not in tabs  # a unit's lists are not intake's tabs
    assert _numbers(client_for(world.user(Role.INTAKE)).get(LIST, {"queue": "to_dispatch"})) == [
        accepted.tracking_no
    ]


def test_handler_sees_only_their_units_appeals(world: World) -> None:
    other_unit = Unit.all_objects.create(name="另一承办单位", unit_type="other", division=world.home)
    mine = drive(world, world.home_street, State.DISPATCHED)
    theirs = drive(world, world.home_street, State.ACCEPTED)
    s.appeal_dispatch(appeal=theirs, actor=world.nationwide(Role.INTAKE), unit=other_unit)
    client = client_for(handler_of(world, world.home_unit))
    assert _numbers(client.get(LIST)) == [mine.tracking_no]
    assert _numbers(client.get(LIST, {"queue": "open"})) == [mine.tracking_no]


def test_out_of_scope_appeals_never_listed(world: World) -> None:
    drive(world, world.away_street, State.SUBMITTED)
    assert _numbers(client_for(world.user(Role.INTAKE)).get(LIST, {"queue": "open"})) == []


def test_filters(world: World) -> None:
    wage = Category.objects.get(code="WAGE")
    a = drive(world, world.home_street, State.SUBMITTED, category=wage, urgency=Urgency.URGENT)
    b = drive(world, world.home_community, State.SUBMITTED, channel=Channel.HOTLINE)
    c = drive(world, world.home, State.DISPATCHED)
    _overdue(c)
    client = client_for(world.user(Role.LEADER))

    def listed(**params: Any) -> set[str]:
        return set(_numbers(client.get(LIST, {"queue": "open", **params})))

    assert listed() == {a.tracking_no, b.tracking_no, c.tracking_no}
    assert listed(category=wage.pk) == {a.tracking_no}
    assert listed(urgency="urgent") == {a.tracking_no}
    assert listed(channel="hotline") == {b.tracking_no}
    assert listed(state="dispatched") == {c.tracking_no}
    assert listed(overdue="on") == {c.tracking_no}
    assert listed(unit=world.home_unit.pk) == {c.tracking_no}
    assert listed(division="210105001") == {a.tracking_no, b.tracking_no}
    assert listed(division="210105001001") == {b.tracking_no}
    today = timezone.localdate().isoformat()
    assert listed(date_from=today, date_to=today) == {a.tracking_no, b.tracking_no, c.tracking_no}
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert listed(date_from=tomorrow) == set()


def test_bad_filter_values_are_form_errors_not_failures(world: World) -> None:
    a = drive(world, world.home_street, State.SUBMITTED)
    client = client_for(world.user(Role.INTAKE))
    response = client.get(
        LIST, {"queue": "nonsense", "date_from": "yesterday", "division": "abc", "q": "配送费"}
    )
    assert response.status_code == 200
    assert response.context["queue"] == Queue.TO_ACCEPT
    assert response.content.decode().count('data-testid="filter-error"') == 2
    assert _numbers(response) == [a.tracking_no]  # the valid search still applies
    reversed_dates = client.get(LIST, {"date_from": "2025-02-02", "date_to": "2025-01-01"})
    assert 'data-testid="filter-error"' in reversed_dates.content.decode()


def test_search_by_text_tracking_number_and_phone(world: World) -> None:
    a = drive(world, world.home_street, State.SUBMITTED, text="平台算法扣款不合理")
    b = drive(world, world.home_street, State.SUBMITTED, phone="13912345678")
    client = client_for(world.user(Role.INTAKE))
    assert _numbers(client.get(LIST, {"q": "算法"})) == [a.tracking_no]
    typed = b.tracking_no.replace("-", "").lower()  # read over the phone, typed without dashes
    assert _numbers(client.get(LIST, {"q": typed})) == [b.tracking_no]
    assert _numbers(client.get(LIST, {"q": "139 1234 5678"})) == [b.tracking_no]
    html = client.get(LIST, {"queue": "open"}).content.decode()
    assert "13912345678" not in html
    assert "139****5678" not in html


def test_sort_by_submitted_and_due(world: World) -> None:
    first = drive(world, world.home_street, State.DISPATCHED)
    second = drive(world, world.home_street, State.DISPATCHED)
    Appeal.all_objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=2), sign_due_at=timezone.now() + dt.timedelta(days=3)
    )
    client = client_for(world.user(Role.LEADER))
    params = {"queue": "to_sign"}
    assert _numbers(client.get(LIST, {**params, "sort": "submitted"})) == [
        first.tracking_no,
        second.tracking_no,
    ]
    assert _numbers(client.get(LIST, {**params, "sort": "-submitted"})) == [
        second.tracking_no,
        first.tracking_no,
    ]
    assert _numbers(client.get(LIST, {**params, "sort": "due"})) == [second.tracking_no, first.tracking_no]
    assert _numbers(client.get(LIST, {**params, "sort": "-due"})) == [first.tracking_no, second.tracking_no]


def test_pages_of_twenty(world: World) -> None:
    for _ in range(21):
        drive(world, world.home_street, State.SUBMITTED)
    client = client_for(world.user(Role.INTAKE))
    first = client.get(LIST)
    assert len(_numbers(first)) == 20
    assert 'data-testid="pagination"' in first.content.decode()
    assert len(_numbers(client.get(LIST, {"page": 2}))) == 1
    assert len(_numbers(client.get(LIST, {"page": "x"}))) == 20


def test_query_count_does_not_grow_with_rows(world: World) -> None:
    client = client_for(world.user(Role.INTAKE))
    drive(world, world.home_street, State.SUBMITTED)
    client.get(LIST)  # warm the session and caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, {"queue": "open"}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(5):
        drive(world, world.home_community, State.DISPATCHED)
    assert queries() == few


def test_empty_state(world: World) -> None:
    html = client_for(world.user(Role.INTAKE)).get(LIST).content.decode()
    assert 'data-testid="empty-state"' in html


def test_list_is_403_without_the_view_permission(world: World) -> None:
    assert client_for(world.user(Role.VOLUNTEER)).get(LIST).status_code == 403


# --- supervision list --------------------------------------------------------------------------------------
def test_supervision_list_overdue_first_and_open_only(world: World) -> None:
    later = drive(world, world.home_street, State.IN_PROGRESS)
    late = drive(world, world.home_street, State.IN_PROGRESS)
    done = drive(world, world.home_street, State.IN_PROGRESS)
    for appeal in (later, late, done):
        s.appeal_supervise(appeal=appeal, actor=None, note="请尽快答复")
    Supervision.objects.filter(appeal=late).update(deadline=timezone.now() - dt.timedelta(hours=2))
    s.appeal_withdraw(appeal=Appeal.all_objects.get(pk=done.pk), reason="已解决")
    client: Client = client_for(world.user(Role.LEADER))
    response = client.get("/desk/appeals/supervision/")
    html = response.content.decode()
    rows = re.findall(r'data-testid="supervision-row" data-tracking-no="([^"]+)"', html)
    assert rows == [late.tracking_no, later.tracking_no]
    assert html.count('data-testid="overdue-badge"') == 1
    overdue_only = client.get("/desk/appeals/supervision/", {"overdue": "1"}).content.decode()
    assert later.tracking_no not in overdue_only
    assert late.tracking_no in overdue_only


def test_desk_home_cards_count_the_users_own_work(world: World) -> None:
    from shegong.web.cards import count_for

    drive(world, world.home_street, State.SUBMITTED)
    drive(world, world.away_street, State.SUBMITTED)
    supervised = drive(world, world.home_street, State.IN_PROGRESS)
    s.appeal_supervise(appeal=supervised, actor=None, note="请尽快答复")
    intake, leader = world.user(Role.INTAKE), world.user(Role.LEADER)
    html = (
        client_for(intake).get("/desk/").content.decode()
    )  # loads the URLconf, which registers the counters
    assert "appeals:desk_list" in html or "/desk/appeals/" in html
    assert count_for("appeals:desk_list", intake) == 1  # 待受理 in the home county only
    assert count_for("appeals:supervision_list", leader) == 1
    assert count_for("appeals:desk_list", handler_of(world, world.home_unit)) == 0  # nothing to sign for
