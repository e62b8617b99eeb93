"""Hotspots in the demo: the job run over the demo appeals, and one governance task with its history.

Run by `shegong demo` after the demo appeals (ops/demo_data.py). The demo appeals carry three bursts
(appeals/demo/hotspots.py); this finds them as the hourly job would:

- as of five weeks ago (HISTORY_DAYS_BACK), in the street of the old burst: the alert the demo task was made
  from. The task (theme, problems, the lead unit the dispatch catalogue names, a deadline a month on) and
  two progress notes are written as history, like the demo appeals' timelines: with their own dates and
  no audit rows;
- as of today's midnight, everywhere: this week's cluster and surge, open on the dashboard.

Deterministic: both runs look at windows that end at a midnight, before which every demo appeal lies.
Idempotent: the job changes nothing the second time, and the task is written only when its alert has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.accounts.models import Grant
from shegong.appeals.demo.hotspots import HISTORY, HISTORY_DAYS_BACK, burst_street
from shegong.appeals.models import Category
from shegong.appeals.routing import route
from shegong.smart.hotspots import job, selectors
from shegong.smart.hotspots.choices import AlertKind, AlertStatus, TaskStatus
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert, TaskUpdate

THEME = "万象汇周边配送车辆停放难"
PROBLEMS = (
    "近一周内，多名外卖骑手和快递员反映在万象汇门口停车送单被贴罚单，周边没有非机动车临时停放区域。"
    "需交警、城管和商场物业共同研究停放点位，规范执法并加强引导。"
)
NOTES = (
    (22, "交警大队会同街道、万象汇物业现场勘查，拟在商场东侧划设非机动车临时停放区。"),
    (10, "临时停放区已施划四十个车位并安排专人引导，对配送车辆短时停放以提醒为主。"),
)


def seed_demo_hotspots(*, today: dt.date | None = None) -> dict[str, Any]:
    """Run the job over the demo appeals (history, then today) and write the demo task. Returns counts."""
    day = today or timezone.localdate()
    anchor = dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())
    street = burst_street(HISTORY)
    with transaction.atomic():
        tasks = 0
        if street is not None:
            job.run(now=anchor - dt.timedelta(days=HISTORY_DAYS_BACK), division_prefix=street.prefix)
            tasks = _history_task(street.prefix, anchor)
        now = job.run(now=anchor).as_dict()
    return {"tasks": tasks, **now}


def _leader() -> Any:
    grant = (
        Grant.objects.filter(role=Role.LEADER, is_active=True, user__is_demo=True, user__is_active=True)
        .select_related("user")
        .order_by("user_id", "pk")
        .first()
    )
    return grant.user if grant is not None else None


def _history_task(prefix: str, anchor: dt.datetime) -> int:
    """The task made from the old burst's alert, the morning after it was raised; 0 when it exists."""
    then = anchor - dt.timedelta(days=HISTORY_DAYS_BACK)
    category = Category.objects.filter(code=HISTORY.category).first()
    alert = (
        HotspotAlert.objects.unscoped()
        .filter(kind=AlertKind.CLUSTER, category=category, division_id=prefix.ljust(12, "0"))
        .filter(window_end__lte=then)
        .select_related("division", "category")
        .order_by("-window_end")
        .first()
    )
    leader = _leader()
    if alert is None or leader is None or GovernanceTask.all_objects.filter(alert=alert).exists():
        return 0
    unit = route(division=alert.division, category=alert.category)
    if unit is None:
        return 0
    created = then + dt.timedelta(hours=10)
    task = GovernanceTask(
        division=alert.division,
        category=alert.category,
        alert=alert,
        theme=THEME,
        problems=PROBLEMS,
        lead_unit=unit,
        deadline=timezone.localdate(created) + dt.timedelta(days=30),
        status=TaskStatus.IN_PROGRESS,
        created_by=leader,
        created_at=created,
        baseline_days=selectors.TASK_BASELINE_DAYS,
        baseline_count=selectors.matching_appeals(
            division=alert.division,
            category=alert.category,
            start=created - dt.timedelta(days=selectors.TASK_BASELINE_DAYS),
            end=created,
        ).count(),
    )
    task.full_clean()
    task.save()
    for days_back, note in NOTES:
        update = TaskUpdate(
            task=task, note=note, by=leader, at=anchor - dt.timedelta(days=days_back) + dt.timedelta(hours=16)
        )
        update.full_clean()
        update.save()
    alert.status, alert.decided_by, alert.decided_at = AlertStatus.TASK, leader, created
    alert.save(update_fields=["status", "decided_by", "decided_at"])
    return 1
