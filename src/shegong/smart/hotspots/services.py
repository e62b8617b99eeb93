"""Every write of hotspots: recording what the job found, dismissing an alert, and a governance task's life
(create from an alert, progress notes, done). Keyword-only, atomic, audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.models import Category
from shegong.core import audit
from shegong.core.api import ConflictError
from shegong.core.scoping import has_perm_on
from shegong.divisions.models import Division, Unit
from shegong.smart.hotspots import selectors
from shegong.smart.hotspots.audit_actions import HotspotAction
from shegong.smart.hotspots.choices import AlertKind, AlertStatus, HotspotPerm, TaskStatus
from shegong.smart.hotspots.detect import Finding
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert, TaskUpdate

CREATED, GREW, UNCHANGED = "created", "grew", "unchanged"
JOB = "hotspot job"  # actor_label of the job's audit rows


class HotspotConflict(ConflictError):
    """The alert or task changed in the meantime (someone else decided first). Pages show the message."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message
            or _("This has changed in the meantime and the action is no longer possible. Reload the page."),
            code="conflict",
        )


def _require(actor: Any, obj: HotspotAlert | GovernanceTask) -> None:
    if not has_perm_on(actor, HotspotPerm.MANAGE, obj):
        raise PermissionDenied


# --- the job ---------------------------------------------------------------------------------------------


@transaction.atomic
def hotspot_record(*, finding: Finding, now: dt.datetime | None = None) -> tuple[HotspotAlert, str]:
    """Record one finding: a new alert, or the appeals it adds to the alert of the same hotspot (same place,
    category and kind, a window overlapping this one, sharing an appeal — or, for a surge, any such alert).
    Returns the alert and CREATED, GREW or UNCHANGED; an unchanged alert is not written."""
    candidates = list(
        HotspotAlert.objects.unscoped()
        .select_for_update()
        .filter(
            division_id=finding.division_code,
            category_id=finding.category_id,
            kind=finding.kind,
            window_end__gt=finding.window_start,
        )
        .order_by("-window_end", "-pk")
    )
    alert = _same_hotspot(candidates, finding)
    if alert is not None:
        return alert, _grow(alert, finding)
    alert = HotspotAlert(
        division_id=finding.division_code,
        category_id=finding.category_id,
        kind=finding.kind,
        window_start=finding.window_start,
        window_end=finding.window_end,
        count=finding.count,
        baseline=finding.baseline,
        keywords=finding.keywords,
        sample=finding.sample,
        created_at=now or timezone.now(),
    )
    # The unique window is the database's check: a second run racing this one fails on it and grows the
    # row the first one wrote instead.
    alert.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        alert = (
            HotspotAlert.objects.unscoped()
            .select_for_update()
            .get(
                division_id=finding.division_code,
                category_id=finding.category_id,
                kind=finding.kind,
                window_start=finding.window_start,
            )
        )
        return alert, _grow(alert, finding)
    alert.appeals.add(*finding.appeal_ids)
    audit.record(
        action=HotspotAction.ALERT_RAISED,
        actor=None,
        actor_label=JOB,
        target=alert,
        changes={"kind": finding.kind, "count": finding.count, "baseline": finding.baseline},
    )
    return alert, CREATED


def _same_hotspot(candidates: list[HotspotAlert], finding: Finding) -> HotspotAlert | None:
    if not candidates:
        return None
    if finding.kind == AlertKind.SURGE:
        return candidates[0]
    through = HotspotAlert.appeals.through
    sharing = set(
        through.objects.filter(
            hotspotalert_id__in=[c.pk for c in candidates], appeal_id__in=finding.appeal_ids
        ).values_list("hotspotalert_id", flat=True)
    )
    for candidate in candidates:
        if candidate.pk in sharing or candidate.window_start == finding.window_start:
            return candidate
    return None


def _grow(alert: HotspotAlert, finding: Finding) -> str:
    known = set(alert.appeals.values_list("pk", flat=True))
    new = [pk for pk in finding.appeal_ids if pk not in known]
    if not new:
        return UNCHANGED
    alert.appeals.add(*new)
    before = alert.count
    alert.count = len(known) + len(new)
    alert.window_end = max(alert.window_end, finding.window_end)
    alert.keywords, alert.sample = finding.keywords, finding.sample
    alert.full_clean(validate_constraints=False)
    alert.save(update_fields=["count", "window_end", "keywords", "sample"])
    audit.record(
        action=HotspotAction.ALERT_UPDATED,
        actor=None,
        actor_label=JOB,
        target=alert,
        changes={"count": [before, alert.count]},
    )
    return GREW


# --- leaders' decisions ----------------------------------------------------------------------------------


@transaction.atomic
def hotspot_dismiss(*, alert: HotspotAlert, actor: Any, note: str = "") -> HotspotAlert:
    """A leader judges an open alert not worth a task (a coincidence, already handled); it stays listed
    under "dismissed" and keeps collecting appeals while the hotspot lasts."""
    alert = HotspotAlert.objects.unscoped().select_for_update().get(pk=alert.pk)
    _require(actor, alert)
    if alert.status != AlertStatus.OPEN:
        raise HotspotConflict
    alert.status = AlertStatus.DISMISSED
    alert.decided_by, alert.decided_at = actor, timezone.now()
    alert.decision_note = (note or "").strip()
    alert.full_clean(validate_constraints=False)
    alert.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        action=HotspotAction.ALERT_DISMISSED,
        actor=actor,
        target=alert,
        changes={"status": [AlertStatus.OPEN, AlertStatus.DISMISSED], "note": alert.decision_note},
    )
    return alert


@transaction.atomic
def task_create(
    *,
    actor: Any,
    theme: str,
    problems: str,
    lead_unit: Unit,
    deadline: dt.date,
    alert: HotspotAlert | None = None,
    division: Division | None = None,
    category: Category | None = None,
) -> GovernanceTask:
    """每月一题: a governance task for one category in one division subtree, from an open alert (which then
    shows as turned into a task) or named directly. Its baseline is the matching appeals of the
    `TASK_BASELINE_DAYS` before now; progress is measured against it (selectors.task_progress)."""
    now = timezone.now()
    if alert is not None:
        alert = HotspotAlert.objects.unscoped().select_for_update().get(pk=alert.pk)
        division, category = alert.division, alert.category
    if division is None or category is None:
        raise ValidationError(gettext("Say which division and category the task is about."))
    task = GovernanceTask(
        division=division,
        category=category,
        alert=alert,
        theme=(theme or "").strip(),
        problems=(problems or "").strip(),
        lead_unit=lead_unit,
        deadline=deadline,
        created_by=actor,
        created_at=now,
        baseline_days=selectors.TASK_BASELINE_DAYS,
        baseline_count=0,
    )
    _require(actor, task)
    if alert is not None and alert.status != AlertStatus.OPEN:
        raise HotspotConflict(
            _("This alert has already been dismissed or turned into a task. Reload the page.")
        )
    errors: dict[str, str] = {}
    if not lead_unit.is_active or not has_perm_on(actor, HotspotPerm.MANAGE, lead_unit):
        errors["lead_unit"] = gettext("Choose an active unit within your jurisdiction.")
    if deadline < timezone.localdate(now):
        errors["deadline"] = gettext("The deadline cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    task.baseline_count = selectors.matching_appeals(
        division=division, category=category, start=now - dt.timedelta(days=task.baseline_days), end=now
    ).count()
    task.full_clean()
    task.save()
    if alert is not None:
        alert.status = AlertStatus.TASK
        alert.decided_by, alert.decided_at = actor, now
        alert.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        action=HotspotAction.TASK_CREATED,
        actor=actor,
        target=task,
        changes={
            "alert": alert.pk if alert is not None else None,
            "category": category.code,
            "lead_unit": lead_unit.pk,
            "deadline": deadline.isoformat(),
            "baseline_count": task.baseline_count,
        },
    )
    return task


def _lock_open_task(task: GovernanceTask, actor: Any) -> GovernanceTask:
    task = GovernanceTask.objects.unscoped().select_for_update().get(pk=task.pk)
    _require(actor, task)
    if task.status == TaskStatus.DONE:
        raise HotspotConflict(_("This task is already done. Reload the page."))
    return task


@transaction.atomic
def task_note(*, task: GovernanceTask, actor: Any, note: str) -> TaskUpdate:
    """A progress note; the first one moves a planned task to in progress."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": gettext("Write what has been done.")})
    task = _lock_open_task(task, actor)
    update = TaskUpdate(task=task, note=note, by=actor, at=timezone.now())
    update.full_clean()
    update.save()
    changes: dict[str, Any] = {"note": note[:200]}
    if task.status == TaskStatus.PLANNED:
        task.status = TaskStatus.IN_PROGRESS
        task.save(update_fields=["status"])
        changes["status"] = [TaskStatus.PLANNED, TaskStatus.IN_PROGRESS]
    audit.record(action=HotspotAction.TASK_NOTED, actor=actor, target=task, changes=changes)
    return update


@transaction.atomic
def task_done(*, task: GovernanceTask, actor: Any, note: str = "") -> GovernanceTask:
    """The lead unit has finished; progress keeps being measured (does the drop last?)."""
    task = _lock_open_task(task, actor)
    before = task.status
    now = timezone.now()
    if note := (note or "").strip():
        update = TaskUpdate(task=task, note=note, by=actor, at=now)
        update.full_clean()
        update.save()
    task.status, task.done_at = TaskStatus.DONE, now
    task.full_clean()
    task.save(update_fields=["status", "done_at"])
    audit.record(
        action=HotspotAction.TASK_DONE, actor=actor, target=task, changes={"status": [before, task.status]}
    )
    return task
