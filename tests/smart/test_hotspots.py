"""Hotspots (未诉先办): the job's clusters and surges, its idempotence, leaders' decisions, a governance
task's progress, every page's scope, the dashboard block and the demo."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.models import Appeal, Category, DispatchRule
from shegong.core import periodic
from shegong.core.models import AuditEvent
from shegong.divisions.models import Division, Unit
from shegong.smart.hotspots import job, selectors, services
from shegong.smart.hotspots.audit_actions import HotspotAction
from shegong.smart.hotspots.choices import AlertKind, AlertStatus, TaskStatus
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert, TaskUpdate
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db

# Five riders about one estate's ban on e-bikes, each in their own words.
SIMILAR = [
    "幸福里小区的保安不让外卖电动车进小区，只能把餐放在门口，顾客投诉没送上楼。",
    "幸福里小区门口保安拦着不让电动车进，我们只能停在外面跑进去送，超时好几单了。",
    "幸福里小区不让骑手的电动车进小区，物业说是新规定，送餐很不方便。",
    "反映幸福里小区禁止外卖电动车进入，骑手只能在门口等顾客下来取。",
    "幸福里小区保安不让我们骑电动车进去，走路送要多花十分钟。",
]
# Five access problems of the same category, each about a different place.
UNRELATED = [
    "医院门口不让停车也不让进，病人家属点的餐只能在马路对面交接。",
    "科技大厦不让外卖员坐客梯，货梯要等二十分钟。",
    "学校不让快递进校门，门口也没有快递柜，学生都在围栏边上递。",
    "火车站接乘客保安不让在门口停，乘客又在里面等着。",
    "写字楼要求每次进门都登记身份证，排队十几分钟。",
]
NOW = dt.datetime(2026, 3, 16, 10, 30, tzinfo=dt.UTC)  # a Monday, 18:30 in Shanghai


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def category(code: str = "ACCESS") -> Category:
    return Category.objects.get(code=code)


def file(
    division: Division,
    text: str,
    *,
    days_ago: float = 1,
    code: str = "ACCESS",
    state: str = State.SUBMITTED,
    now: dt.datetime = NOW,
) -> Appeal:
    """An appeal as the job reads it: categorised, filed `days_ago` before `now`."""
    return Appeal.all_objects.create(
        text=text,
        category=category(code),
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
        division=division,
        phone="13800138000",
        state=state,
        submitted_at=now - dt.timedelta(days=days_ago),
        close_reason="与新就业群体无关" if state == State.REJECTED else "",
    )


def street(world: World, n: int) -> Division:
    """Another street of the home county (the world has one)."""
    code = f"210105{n:03d}000"
    return Division.objects.get_or_create(
        code=code, defaults={"name": f"第{n}街道", "level": 9, "parent": world.home, "is_demo": True}
    )[0]


def run(now: dt.datetime = NOW) -> job.Result:
    return job.run(now=now)


def alerts(kind: str | None = None) -> list[HotspotAlert]:
    qs = HotspotAlert.all_objects.order_by("pk")
    return list(qs.filter(kind=kind) if kind else qs)


def cluster_alert(world: World) -> HotspotAlert:
    for i, text in enumerate(SIMILAR):
        file(world.home_community, text, days_ago=1 + i)
    run()
    return alerts(AlertKind.CLUSTER)[0]


# --- detection -------------------------------------------------------------------------------------------


def test_five_similar_appeals_in_one_street_are_one_alert(world: World) -> None:
    similar = [file(world.home_community, t, days_ago=1 + i) for i, t in enumerate(SIMILAR)]
    other = file(world.home_street, UNRELATED[0], days_ago=2)  # same street and category, another problem
    result = run()
    [alert] = alerts()
    assert (alert.kind, alert.division_id, alert.category.code) == (
        AlertKind.CLUSTER,
        "210105001000",
        "ACCESS",
    )
    assert alert.status == AlertStatus.OPEN
    assert set(alert.appeals.values_list("pk", flat=True)) == {a.pk for a in similar}
    assert alert.count == 5
    assert other.pk not in {a.pk for a in alert.appeals.all()}
    assert "幸福里" in alert.sample
    assert "电动车" in alert.keywords
    assert alert.window_end == timezone.localtime(NOW).replace(minute=0)
    assert alert.window_end - alert.window_start == dt.timedelta(days=7)
    assert result.as_dict()["created"] == 1
    audit = AuditEvent.objects.get(action=HotspotAction.ALERT_RAISED)
    assert audit.target_id == str(alert.pk)
    assert audit.division_code == "210105001000"


def test_five_unrelated_appeals_of_one_category_are_no_alert(world: World) -> None:
    for i, text in enumerate(UNRELATED):
        file(world.home_community, text, days_ago=1 + i)
    assert run().as_dict()["clusters"] == 0
    assert alerts() == []


def test_each_street_is_its_own_hotspot(world: World) -> None:
    second = street(world, 2)
    for i, text in enumerate(SIMILAR[:3]):
        file(world.home_community, text, days_ago=1 + i)
    for i, text in enumerate(SIMILAR[3:] + SIMILAR[:1]):
        file(second, text, days_ago=1 + i)
    run()
    assert alerts() == []  # 3 + 3 similar appeals in two streets: neither street has five
    for i, text in enumerate(SIMILAR[3:]):
        file(world.home_community, text, days_ago=2 + i)
    for i, text in enumerate(SIMILAR[1:3]):
        file(second, text, days_ago=2 + i)
    run()
    assert sorted(a.division_id for a in alerts(AlertKind.CLUSTER)) == ["210105001000", "210105002000"]
    assert all(a.count == 5 for a in alerts(AlertKind.CLUSTER))


def test_old_rejected_and_other_category_appeals_do_not_count(world: World) -> None:
    for i, text in enumerate(SIMILAR[:3]):
        file(world.home_community, text, days_ago=1 + i)
    file(world.home_community, SIMILAR[3], days_ago=8)  # before the window
    file(world.home_community, SIMILAR[3], state=State.REJECTED)
    file(world.home_community, SIMILAR[4], code="PARKING")
    run()
    assert alerts() == []


def test_surge_against_the_last_four_weeks(world: World) -> None:
    streets = [world.home_community, street(world, 2), street(world, 3), street(world, 4)]
    for week in range(1, 5):  # two a week before
        for n in range(2):
            file(streets[n], UNRELATED[n], days_ago=7 * week + 1 + n, code="WAGE")
    this_week = [
        file(streets[i % 4], UNRELATED[i % 5], days_ago=0.5 + i * 0.6, code="WAGE") for i in range(9)
    ]
    run()
    [surge] = alerts(AlertKind.SURGE)
    assert (surge.division_id, surge.category.code, surge.count, surge.baseline) == (
        "210105000000",
        "WAGE",
        9,
        2,
    )
    assert set(surge.appeals.values_list("pk", flat=True)) == {a.pk for a in this_week}
    assert alerts(AlertKind.CLUSTER) == []  # spread over streets and about different things


def test_no_surge_below_twice_the_average_or_below_the_floor(world: World) -> None:
    for week in range(1, 5):  # five a week before: nine is not twice as many
        for n in range(5):
            file(world.home_community, UNRELATED[n], days_ago=7 * week + 1, code="WAGE")
    for i in range(9):
        file(world.home_community, UNRELATED[i % 5], days_ago=1 + i * 0.5, code="WAGE")
    for i in range(7):  # nothing before, but seven is below the floor of eight
        file(world.away_street, UNRELATED[i % 5], days_ago=1 + i * 0.5, code="HEALTH")
    run()
    assert alerts(AlertKind.SURGE) == []


def test_the_job_runs_twice_and_raises_once_then_the_alert_grows(world: World) -> None:
    cluster_alert(world)
    raised = AuditEvent.objects.filter(action__startswith="smart.hotspot").count()
    again = run(NOW + dt.timedelta(minutes=20))  # same hour, same window
    assert again.as_dict() | {"appeals": 0} == {
        "appeals": 0,
        "groups": 1,
        "clusters": 1,
        "surges": 0,
        "created": 0,
        "grew": 0,
        "unchanged": 1,
    }
    later = run(NOW + dt.timedelta(hours=5))  # a later window, the same hotspot
    assert later.as_dict()["unchanged"] == 1
    assert len(alerts()) == 1
    assert AuditEvent.objects.filter(action__startswith="smart.hotspot").count() == raised
    file(
        world.home_community,
        "幸福里小区又不让电动车进了，保安说上面规定的。",
        days_ago=0.1,
        now=NOW + dt.timedelta(hours=6),
    )
    grown = run(NOW + dt.timedelta(hours=7))
    [alert] = alerts()
    assert grown.as_dict()["grew"] == 1
    assert alert.count == 6
    assert alert.appeals.count() == 6
    assert alert.window_end == timezone.localtime(NOW + dt.timedelta(hours=7)).replace(minute=0, second=0)
    assert AuditEvent.objects.get(action=HotspotAction.ALERT_UPDATED).changes == {"count": [5, 6]}


def test_a_racing_run_of_the_same_window_grows_the_row_instead_of_failing(world: World) -> None:
    for i, text in enumerate(SIMILAR):
        file(world.home_community, text, days_ago=1 + i)
    result = job.run(now=NOW, dry_run=True)
    [finding] = result.findings
    first, outcome = services.hotspot_record(finding=finding)
    assert outcome == services.CREATED
    # another run that did not see the first row: the unique window sends it to the same row
    HotspotAlert.all_objects.filter(pk=first.pk).update(
        window_end=finding.window_start + dt.timedelta(seconds=1)
    )
    HotspotAlert.appeals.through.objects.filter(hotspotalert_id=first.pk).delete()
    second, outcome = services.hotspot_record(finding=finding)
    assert second.pk == first.pk
    assert outcome == services.GREW
    assert HotspotAlert.all_objects.count() == 1


def test_the_job_is_registered_hourly_and_runs_through_the_scheduler(world: World) -> None:
    [hotspots] = [j for j in periodic.jobs() if j.name == "smart.hotspots"]
    assert hotspots.every_seconds == 3600
    for i, text in enumerate(SIMILAR):
        file(world.home_community, text, days_ago=1 + i, now=timezone.now())
    outcome = periodic.run_job("smart.hotspots")
    assert outcome.ok
    assert outcome.result["created"] == 1


def test_command_dry_run_lists_and_writes_nothing_then_records(world: World) -> None:
    for i, text in enumerate(SIMILAR):
        file(world.home_community, text, days_ago=1 + i)
    out = io.StringIO()
    call_command("smart_hotspots", "--now", "2026-03-16T18:30", "--dry-run", stdout=out)
    assert "测试街道" in out.getvalue()
    assert alerts() == []
    call_command("smart_hotspots", "--now", "2026-03-16T18:30", stdout=io.StringIO())
    assert len(alerts()) == 1


def test_command_refuses_a_future_time_and_a_bad_division(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("smart_hotspots", "--now", "2999-01-01T00:00", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("smart_hotspots", "--division", "21a", stdout=io.StringIO())


def test_a_street_run_finds_clusters_but_judges_no_county_surge(world: World) -> None:
    for i in range(9):
        file(world.home_community, UNRELATED[i % 5], days_ago=1 + i * 0.5, code="WAGE")
    assert job.run(now=NOW, division_prefix="210105001", dry_run=True).as_dict()["surges"] == 0
    assert job.run(now=NOW, division_prefix="210105", dry_run=True).as_dict()["surges"] == 1


# --- leaders' decisions ----------------------------------------------------------------------------------


def test_dismiss(world: World) -> None:
    alert = cluster_alert(world)
    leader = world.user(Role.LEADER)
    with pytest.raises(PermissionDenied):
        services.hotspot_dismiss(alert=alert, actor=world.user(Role.INTAKE))
    services.hotspot_dismiss(alert=alert, actor=leader, note="已由社区协调解决")
    alert.refresh_from_db()
    assert (alert.status, alert.decided_by, alert.decision_note) == (
        AlertStatus.DISMISSED,
        leader,
        "已由社区协调解决",
    )
    assert AuditEvent.objects.filter(action=HotspotAction.ALERT_DISMISSED, actor=leader).count() == 1
    with pytest.raises(ValidationError):
        services.hotspot_dismiss(alert=alert, actor=leader)  # decided already: a conflict
    assert run(NOW + dt.timedelta(minutes=5)).as_dict()["created"] == 0  # a dismissed hotspot does not return


def test_dismiss_page_asks_then_dismisses(world: World, client: Client) -> None:
    alert = cluster_alert(world)
    english(client).force_login(world.user(Role.LEADER))
    page = client.get(f"/dashboard/hotspots/{alert.pk}/dismiss/")
    assert 'data-testid="dismiss-form"' in page.content.decode()
    assert HotspotAlert.all_objects.get().status == AlertStatus.OPEN
    response = client.post(f"/dashboard/hotspots/{alert.pk}/dismiss/", {"note": "巧合"})
    assert response.status_code == 302
    assert HotspotAlert.all_objects.get().status == AlertStatus.DISMISSED
    again = client.post(f"/dashboard/hotspots/{alert.pk}/dismiss/", {"note": "x"})
    assert again.status_code == 200
    assert "already been decided" in again.content.decode()


def _street_office(world: World) -> Unit:
    office = Unit.all_objects.create(
        name="测试街道办事处", unit_type="street_office", division=world.home_street
    )
    DispatchRule.objects.create(division=world.home_street, category=category(), unit=office)
    return office


def test_create_task_from_alert_page(world: World, client: Client) -> None:
    alert = cluster_alert(world)
    office = _street_office(world)
    file(world.home_community, UNRELATED[1], days_ago=20)  # in the 28 days before: counted in the baseline
    file(world.home_community, UNRELATED[2], days_ago=40)  # before them: not
    leader = world.user(Role.LEADER)
    english(client).force_login(leader)
    page = client.get(f"/dashboard/hotspots/{alert.pk}/task/")
    form = page.context["form"]
    month_on = timezone.localdate() + dt.timedelta(days=30)
    assert f'value="{month_on.isoformat()}"' in page.content.decode()  # what a date input can show
    assert form.initial["lead_unit"] == office.pk  # the dispatch catalogue's unit for this street × category
    assert "测试街道" in form.initial["theme"]
    assert "幸福里" in form.initial["problems"]
    deadline = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        f"/dashboard/hotspots/{alert.pk}/task/",
        {
            "theme": "幸福里小区骑手进门难",
            "problems": "保安不让电动车进小区",
            "lead_unit": office.pk,
            "deadline": deadline,
        },
    )
    task = GovernanceTask.all_objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/hotspots/tasks/{task.pk}/"
    assert (task.alert, task.division_id, task.category.code, task.lead_unit) == (
        alert,
        "210105001000",
        "ACCESS",
        office,
    )
    assert (task.status, task.created_by, task.deadline) == (TaskStatus.PLANNED, leader, deadline)
    # the five similar appeals (1–5 days before NOW) and the one of 20 days ago; NOW is in the past here
    expected = selectors.matching_appeals(
        division=world.home_street,
        category=category(),
        start=task.created_at - dt.timedelta(days=28),
        end=task.created_at,
    ).count()
    assert task.baseline_count == expected
    assert task.baseline_days == 28
    alert.refresh_from_db()
    assert (alert.status, alert.decided_by) == (AlertStatus.TASK, leader)
    assert AuditEvent.objects.filter(action=HotspotAction.TASK_CREATED, actor=leader).count() == 1
    again = client.get(f"/dashboard/hotspots/{alert.pk}/task/")
    assert 'data-testid="alert-decided"' in again.content.decode()


def test_task_form_refuses_a_past_deadline_and_a_unit_outside_the_area(world: World, client: Client) -> None:
    alert = cluster_alert(world)
    english(client).force_login(world.user(Role.LEADER))
    base = {"theme": "主题", "problems": "问题", "lead_unit": world.home_unit.pk}
    past = client.post(f"/dashboard/hotspots/{alert.pk}/task/", {**base, "deadline": "2020-01-01"})
    assert past.status_code == 200
    assert past.context["form"].errors["deadline"]
    away = client.post(
        f"/dashboard/hotspots/{alert.pk}/task/",
        {**base, "lead_unit": world.away_unit.pk, "deadline": "2099-01-01"},
    )
    assert away.status_code == 200
    assert away.context["form"].errors["lead_unit"]
    assert GovernanceTask.all_objects.count() == 0
    assert HotspotAlert.all_objects.get().status == AlertStatus.OPEN


def test_service_refuses_a_task_from_a_decided_alert(world: World) -> None:
    alert = cluster_alert(world)
    leader = world.user(Role.LEADER)
    services.hotspot_dismiss(alert=alert, actor=leader)
    with pytest.raises(ValidationError) as exc:
        services.task_create(
            actor=leader,
            alert=alert,
            theme="t",
            problems="p",
            lead_unit=world.home_unit,
            deadline=timezone.localdate(),
        )
    assert exc.value.code == "conflict"
    assert GovernanceTask.all_objects.count() == 0


# --- progress --------------------------------------------------------------------------------------------


def _task(world: World, *, created: dt.datetime, baseline: int) -> GovernanceTask:
    task = GovernanceTask.all_objects.create(
        division=world.home_street,
        category=category(),
        theme="幸福里小区骑手进门难",
        problems="…",
        lead_unit=world.home_unit,
        deadline=created.date() + dt.timedelta(days=30),
        created_at=created,
        baseline_count=baseline,
        baseline_days=28,
    )
    return task


def test_progress_is_the_drop_of_the_weekly_rate(world: World) -> None:
    created = NOW - dt.timedelta(days=14)
    task = _task(world, created=created, baseline=8)  # 2 a week before
    file(world.home_community, SIMILAR[0], days_ago=10)  # counted: this street, this category, since
    file(world.home_community, SIMILAR[1], days_ago=16)  # before the task
    file(world.home_community, SIMILAR[2], days_ago=3, state=State.REJECTED)
    file(world.home_community, SIMILAR[3], days_ago=3, code="PARKING")
    file(street(world, 2), SIMILAR[4], days_ago=3)  # another street
    progress = selectors.task_progress(task=task, now=NOW)
    assert (progress.since, progress.baseline, round(progress.days)) == (1, 8, 14)
    assert progress.weekly_before == 2
    assert progress.weekly_since == 0.5
    assert progress.drop_percent == 75
    file(world.home_community, SIMILAR[4], days_ago=2)
    for _ in range(4):
        file(world.home_community, SIMILAR[4], days_ago=1)
    assert selectors.task_progress(task=task, now=NOW).drop_percent == -50  # 3 a week now: a rise
    assert selectors.task_progress(task=task, now=NOW).rise_percent == 50


def test_progress_is_not_told_on_the_first_day_or_without_a_baseline(world: World) -> None:
    fresh = _task(world, created=NOW - dt.timedelta(hours=5), baseline=8)
    assert selectors.task_progress(task=fresh, now=NOW).drop_percent is None
    empty = _task(world, created=NOW - dt.timedelta(days=5), baseline=0)
    assert selectors.task_progress(task=empty, now=NOW).drop_percent is None


def test_notes_start_the_task_and_done_ends_it(world: World, client: Client) -> None:
    task = _task(world, created=timezone.now() - dt.timedelta(days=3), baseline=4)
    leader = world.user(Role.LEADER)
    english(client).force_login(leader)
    empty = client.post(f"/dashboard/hotspots/tasks/{task.pk}/", {"note": "  "})
    assert empty.status_code == 200
    assert empty.context["form"].errors["note"]
    response = client.post(f"/dashboard/hotspots/tasks/{task.pk}/", {"note": "已召开物业协调会"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert TaskUpdate.objects.get().note == "已召开物业协调会"
    page = client.get(f"/dashboard/hotspots/tasks/{task.pk}/")
    assert 'data-testid="task-update"' in page.content.decode()
    done = client.post(f"/dashboard/hotspots/tasks/{task.pk}/done/", {"note": "已开通门禁"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.done_at is not None
    assert TaskUpdate.objects.count() == 2
    with pytest.raises(ValidationError):
        services.task_note(task=task, actor=leader, note="再记一条")
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="smart.task").order_by("pk")] == [
        HotspotAction.TASK_NOTED,
        HotspotAction.TASK_DONE,
    ]


def test_task_list_shows_each_drop_in_one_query_for_all(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    for days in (14, 20, 25):
        _task(world, created=timezone.now() - dt.timedelta(days=days), baseline=8)
    english(client).force_login(world.user(Role.INTAKE))
    response = client.get("/dashboard/hotspots/tasks/")
    assert response.content.decode().count('data-testid="task-row"') == 3
    assert response.content.decode().count('data-drop="100"') == 3  # nothing since: 100 % fewer
    for days in (3, 5, 8):
        _task(world, created=timezone.now() - dt.timedelta(days=days), baseline=8)
    with django_assert_max_num_queries(14):
        assert client.get("/dashboard/hotspots/tasks/").content.decode().count('data-testid="task-row"') == 6


# --- dashboard and desk ----------------------------------------------------------------------------------


def test_dashboard_shows_the_open_alerts_of_the_leaders_area(world: World, client: Client) -> None:
    mine = cluster_alert(world)
    for i, text in enumerate(SIMILAR):
        file(world.away_street, text, days_ago=1 + i)
    run(NOW + dt.timedelta(minutes=1))
    theirs = HotspotAlert.all_objects.get(division_id="450103001000")
    english(client).force_login(world.user(Role.LEADER))
    page = client.get("/dashboard/").content.decode()
    assert 'data-testid="dashboard-hotspots"' in page
    assert f'data-alert="{mine.pk}"' in page
    assert f'data-alert="{theirs.pk}"' not in page
    assert "远方街道" not in page


def test_desk_shows_the_sidebar_entry_and_count_to_intake_only_in_scope(world: World, client: Client) -> None:
    from shegong.web import cards

    cluster_alert(world)
    intake = world.user(Role.INTAKE)
    english(client).force_login(intake)
    assert 'data-nav="hotspots:alert_list"' in client.get("/desk/").content.decode()
    assert cards.count_for("hotspots:alert_list", intake) == 1
    assert cards.count_for("hotspots:alert_list", world.user(Role.INTAKE, world.away)) == 0
    english(client).force_login(world.user(Role.HANDLER, world.home, unit=world.home_unit))
    assert 'data-nav="hotspots:alert_list"' not in client.get("/desk/").content.decode()


# --- every page's scope ----------------------------------------------------------------------------------


class HotspotSuite(ScopedEndpointSuite):
    is_api = False
    allowed_role = Role.LEADER
    forbidden_role = Role.HANDLER  # holds the hotspot permissions nowhere
    watched_models: ClassVar[tuple[type[models.Model], ...]] = (HotspotAlert, GovernanceTask, TaskUpdate)

    def make_object(self, world: World, division: Any) -> models.Model:
        county = Division.objects.get(code=division.code[:6].ljust(12, "0"))
        appeals = [file(division, text, days_ago=1 + i) for i, text in enumerate(SIMILAR)]
        alert = HotspotAlert.all_objects.create(
            division=division,
            category=category(),
            kind=AlertKind.CLUSTER,
            window_start=NOW - dt.timedelta(days=7),
            window_end=NOW,
            count=5,
            baseline=0.5,
            keywords=f"{county.name}关键词",
        )
        alert.appeals.add(*appeals)
        self.world = world
        return alert

    def login(self, client: Client, user: Any) -> Client:
        client.force_login(user)
        return english(client)

    def marker(self, obj: models.Model) -> str:
        assert isinstance(obj, HotspotAlert)
        return obj.keywords


class ManageSuite(HotspotSuite):
    forbidden_role = Role.INTAKE  # sees hotspots, decides nothing


class TaskSuite(HotspotSuite):
    def make_object(self, world: World, division: Any) -> models.Model:
        alert = super().make_object(world, division)
        assert isinstance(alert, HotspotAlert)
        unit = world.home_unit if division.code.startswith("210105") else world.away_unit
        return GovernanceTask.all_objects.create(
            division=division,
            category=category(),
            alert=alert,
            theme=f"{division.name}治理任务",
            problems="问题",
            lead_unit=unit,
            deadline=timezone.localdate() + dt.timedelta(days=30),
            baseline_count=5,
            baseline_days=28,
        )

    def marker(self, obj: models.Model) -> str:
        assert isinstance(obj, GovernanceTask)
        return obj.theme


class TestAlertList(HotspotSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/?division={obj.division_id[:6]}"


class TestAlertDetail(HotspotSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/{obj.pk}/"


class TestAlertDetailForIntake(TestAlertDetail):
    allowed_role = Role.INTAKE


class TestDismissForm(ManageSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/{obj.pk}/dismiss/"


class TestDismiss(TestDismissForm):
    method = "post"
    success_status = 302

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"note": "巧合"}


class TestTaskForm(ManageSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/{obj.pk}/task/"


class TestTaskCreate(TestTaskForm):
    method = "post"
    success_status = 302

    def payload(self, obj: Any) -> dict[str, Any]:
        unit = self.world.home_unit if obj.division_id.startswith("210105") else self.world.away_unit
        deadline = timezone.localdate() + dt.timedelta(days=20)
        return {"theme": "主题", "problems": "问题", "lead_unit": unit.pk, "deadline": deadline.isoformat()}


class TestTaskList(TaskSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/tasks/?division={obj.division_id[:6]}"


class TestTaskDetail(TaskSuite):
    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/tasks/{obj.pk}/"


class TestTaskNote(TestTaskDetail):
    method = "post"
    success_status = 302
    forbidden_role = Role.INTAKE

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"note": "已召开协调会"}


class TestTaskDoneForm(TaskSuite):
    forbidden_role = Role.INTAKE

    def url(self, obj: Any) -> str:
        return f"/dashboard/hotspots/tasks/{obj.pk}/done/"


class TestTaskDone(TestTaskDoneForm):
    method = "post"
    success_status = 302


# --- the demo --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from shegong.ops.demo_data import seed_demo

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        first = _snapshot()
        seed_demo()
        yield {"first": first, "second": _snapshot()}
        transaction.set_rollback(True)


def _snapshot() -> dict[str, Any]:
    return {
        "alerts": list(
            HotspotAlert.all_objects.order_by("pk").values_list(
                "pk", "kind", "division_id", "count", "status", "window_end"
            )
        ),
        "links": HotspotAlert.appeals.through.objects.count(),
        "tasks": list(GovernanceTask.all_objects.values_list("pk", "status", "baseline_count")),
        "updates": TaskUpdate.objects.count(),
        "audit": AuditEvent.objects.filter(action__startswith="smart.").count(),
    }


def test_demo_shows_an_open_cluster_and_a_task_whose_appeals_dropped(demo: dict[str, Any]) -> None:
    clusters = HotspotAlert.all_objects.filter(kind=AlertKind.CLUSTER, status=AlertStatus.OPEN)
    assert clusters.exists()
    assert any("电动车" in a.keywords or "电动车" in a.sample for a in clusters)
    assert HotspotAlert.all_objects.filter(kind=AlertKind.SURGE, status=AlertStatus.OPEN).exists()
    task = GovernanceTask.all_objects.get()
    assert task.alert is not None
    assert task.alert.status == AlertStatus.TASK
    assert task.updates.count() == 2
    assert task.status == TaskStatus.IN_PROGRESS
    drop = selectors.task_progress(task=task).drop_percent
    assert drop is not None
    assert drop > 0


def test_demo_second_run_changes_nothing(demo: dict[str, Any]) -> None:
    assert demo["first"] == demo["second"]
    assert demo["first"]["alerts"]
    assert demo["first"]["tasks"]


def test_demo_leader_sees_the_hotspots_on_the_dashboard(demo: dict[str, Any], client: Client) -> None:
    from shegong.accounts.models import User

    english(client).force_login(User.objects.get(username="demo_leader"))
    page = client.get("/dashboard/").content.decode()
    assert 'data-testid="dashboard-hotspots"' in page
    assert 'data-testid="dashboard-alert"' in page
