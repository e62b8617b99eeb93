"""智能派单: the duplicate hint (H5) and list (desk); 未诉先办 hotspot alerts and governance tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Category
from shegong.smart.hotspots.choices import AlertKind
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert, TaskUpdate
from tests.security.matrix.registry import EVERYONE, Case, Fx, register

R = Role
HOTSPOT_VIEW = {R.INTAKE, R.LEADER}
HOTSPOT_MANAGE = {R.LEADER}
WATCH = (HotspotAlert, GovernanceTask, TaskUpdate, Appeal)


def _alert(fx: Fx, side: str, marker: str) -> HotspotAlert:
    appeals = [fx.appeal(side, marker + str(i)) for i in range(2)]
    now = timezone.now()
    alert = HotspotAlert.all_objects.create(
        division=fx.division(side),
        category=Category.objects.filter(is_active=True).order_by("pk").first(),
        kind=AlertKind.CLUSTER,
        window_start=now - dt.timedelta(days=7),
        window_end=now,
        count=5,
        baseline=0.5,
        keywords=f"关键词{marker}",
        sample=f"典型诉求{marker}",
    )
    alert.appeals.add(*appeals)
    return alert


def _task(fx: Fx, side: str, marker: str) -> GovernanceTask:
    alert = _alert(fx, side, marker)
    return GovernanceTask.all_objects.create(
        division=alert.division,
        category=alert.category,
        alert=alert,
        theme=f"治理任务{marker}",
        problems=f"问题{marker}",
        lead_unit=fx.unit(side),
        deadline=timezone.localdate() + dt.timedelta(days=30),
        baseline_count=5,
        baseline_days=28,
    )


def _appeal(fx: Fx, side: str, marker: str) -> Appeal:
    return fx.appeal(side, marker, State.SUBMITTED)


register(
    # duplicate hint for the worker typing an appeal: public, answers with appeals of the same phone only
    Case(
        "smart:h5_dup_hint",
        _appeal,
        lambda obj: "/smart/h5/duplicates/hint/",
        method="post",
        ok=EVERYONE,
        listing=True,
        public="a hint that a similar appeal of the same verified phone exists (no other's text)",
        payload=lambda obj: {"text": obj.text, "division": obj.division_id, "category": ""},
    ),
    Case(
        "smart:desk_duplicates",
        _appeal,
        lambda obj: f"/smart/desk/appeals/{obj.tracking_no}/duplicates/",
        ok={R.INTAKE},
        per_role={R.HANDLER: 403},
    ),
    Case("hotspots:alert_list", _alert, lambda obj: "/dashboard/hotspots/", ok=HOTSPOT_VIEW, listing=True),
    Case(
        "hotspots:alert_list",
        _alert,
        lambda obj: f"/dashboard/hotspots/?division={obj.division_id[:6]}",
        ok=HOTSPOT_VIEW,
        label="division filter",
    ),
    Case("hotspots:alert_detail", _alert, lambda obj: f"/dashboard/hotspots/{obj.pk}/", ok=HOTSPOT_VIEW),
    Case(
        "hotspots:alert_dismiss",
        _alert,
        lambda obj: f"/dashboard/hotspots/{obj.pk}/dismiss/",
        ok=HOTSPOT_MANAGE,
    ),
    Case(
        "hotspots:alert_dismiss",
        _alert,
        lambda obj: f"/dashboard/hotspots/{obj.pk}/dismiss/",
        method="post",
        ok=HOTSPOT_MANAGE,
        status=302,
        payload=lambda obj: {"reason": "已由街道处理，非新问题"},
        watch=WATCH,
    ),
    Case(
        "hotspots:task_create", _alert, lambda obj: f"/dashboard/hotspots/{obj.pk}/task/", ok=HOTSPOT_MANAGE
    ),
    Case(
        "hotspots:task_create",
        _alert,
        lambda obj: f"/dashboard/hotspots/{obj.pk}/task/",
        method="post",
        ok=HOTSPOT_MANAGE,
        status=200,
        payload=lambda obj: {},
        watch=WATCH,
        note="an empty form: the page answers with its errors (authorization is what is checked)",
    ),
    Case(
        "hotspots:task_list", _task, lambda obj: "/dashboard/hotspots/tasks/", ok=HOTSPOT_VIEW, listing=True
    ),
    Case(
        "hotspots:task_list",
        _task,
        lambda obj: f"/dashboard/hotspots/tasks/?division={obj.division_id[:6]}",
        ok=HOTSPOT_VIEW,
        label="division filter",
    ),
    Case("hotspots:task_detail", _task, lambda obj: f"/dashboard/hotspots/tasks/{obj.pk}/", ok=HOTSPOT_VIEW),
    Case(
        "hotspots:task_detail",
        _task,
        lambda obj: f"/dashboard/hotspots/tasks/{obj.pk}/",
        method="post",
        ok=HOTSPOT_MANAGE,
        status=302,
        payload=lambda obj: {"note": "召开协调会"},
        watch=WATCH,
    ),
    Case(
        "hotspots:task_done",
        _task,
        lambda obj: f"/dashboard/hotspots/tasks/{obj.pk}/done/",
        ok=HOTSPOT_MANAGE,
    ),
    Case(
        "hotspots:task_done",
        _task,
        lambda obj: f"/dashboard/hotspots/tasks/{obj.pk}/done/",
        method="post",
        ok=HOTSPOT_MANAGE,
        status=302,
        payload=lambda obj: {},
        watch=WATCH,
    ),
)
_ = Any
