"""Scoped reads of hotspots and governance tasks, and a task's progress (the drop in matching appeals)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from shegong.appeals.choices import AppealsPerm, State
from shegong.appeals.models import Appeal, Category
from shegong.appeals.selectors import appeals_visible_to
from shegong.core.scoping import ScopedQuerySet, division_q
from shegong.divisions.models import Division
from shegong.smart.hotspots.choices import HotspotPerm
from shegong.smart.hotspots.models import GovernanceTask, HotspotAlert

# A task's baseline: the matching appeals of the four weeks before it was created.
TASK_BASELINE_DAYS = 28
# Before a day has passed a rate says nothing.
MIN_PROGRESS_DAYS = 1.0


def alerts_visible_to(
    *, user: Any, perm: str = HotspotPerm.VIEW, status: str = "", kind: str = "", division_prefix: str = ""
) -> ScopedQuerySet[HotspotAlert]:
    qs = HotspotAlert.objects.visible_to(user, perm)
    if division_prefix:
        qs = qs.in_subtree(division_prefix)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("division", "category")


def tasks_visible_to(
    *, user: Any, perm: str = HotspotPerm.VIEW, status: str = "", division_prefix: str = ""
) -> ScopedQuerySet[GovernanceTask]:
    qs = GovernanceTask.objects.visible_to(user, perm)
    if division_prefix:
        qs = qs.in_subtree(division_prefix)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("division", "category", "lead_unit", "created_by")


def alert_appeals(*, alert: HotspotAlert, user: Any) -> QuerySet[Appeal]:
    """The alert's appeals that `user` may see as appeals (a unit's handler would see only their unit's)."""
    through = HotspotAlert.appeals.through.objects.filter(hotspotalert_id=alert.pk)
    return appeals_visible_to(user=user, perm=AppealsPerm.VIEW).filter(pk__in=through.values("appeal_id"))


def _matching_q(*, prefix: str, category_id: int) -> Q:
    return (
        division_q("division_id", [prefix])
        & (Q(category_id=category_id) | Q(category__parent_id=category_id))
        & ~Q(state=State.REJECTED)
    )


def matching_appeals(
    *, division: Division, category: Category, start: dt.datetime, end: dt.datetime
) -> QuerySet[Appeal]:
    """Appeals of `category` (or its subcategories) in `division`'s subtree filed in [start, end), rejected
    ones left out — what a task's progress counts (unscoped: a count for a task the caller may see)."""
    q = _matching_q(prefix=division.prefix, category_id=category.pk)
    return Appeal.objects.unscoped().filter(q, submitted_at__gte=start, submitted_at__lt=end)


def task_appeals(
    *, task: GovernanceTask, user: Any, since: dt.datetime, until: dt.datetime
) -> QuerySet[Appeal]:
    """The task's matching appeals filed in [since, until) that `user` may see as appeals."""
    q = _matching_q(prefix=task.division.prefix, category_id=task.category_id)
    return appeals_visible_to(user=user).filter(q, submitted_at__gte=since, submitted_at__lt=until)


@dataclass(frozen=True)
class Progress:
    """Matching appeals since the task was created against its baseline, both as weekly rates."""

    since: int
    days: float
    baseline: int
    baseline_days: int

    @property
    def measurable(self) -> bool:
        return self.days >= MIN_PROGRESS_DAYS

    @property
    def weekly_before(self) -> float:
        return self.baseline / self.baseline_days * 7

    @property
    def weekly_since(self) -> float | None:
        return self.since / self.days * 7 if self.measurable else None

    @property
    def drop_percent(self) -> int | None:
        """How much lower the weekly rate is now than before (negative: higher); None when it cannot be
        said yet (less than a day) or there was nothing before."""
        since = self.weekly_since
        if since is None or self.baseline == 0:
            return None
        return round((1 - since / self.weekly_before) * 100)

    @property
    def rise_percent(self) -> int | None:
        drop = self.drop_percent
        return -drop if drop is not None and drop < 0 else None


def progress_for(tasks: Sequence[GovernanceTask], *, now: dt.datetime | None = None) -> dict[int, Progress]:
    """Progress of each task, in one query (a filtered count per task)."""
    now = now or timezone.now()
    if not tasks:
        return {}
    counts: dict[str, Any] = {}
    where = Q(pk__in=[])
    for task in tasks:
        q = _matching_q(prefix=task.division.prefix, category_id=task.category_id) & Q(
            submitted_at__gte=task.created_at, submitted_at__lt=now
        )
        counts[f"t{task.pk}"] = Count("pk", filter=q)
        where |= q
    row = Appeal.objects.unscoped().filter(where).aggregate(**counts)
    return {
        task.pk: Progress(
            since=row[f"t{task.pk}"] or 0,
            days=max((now - task.created_at).total_seconds() / 86400, 0.0),
            baseline=task.baseline_count,
            baseline_days=task.baseline_days,
        )
        for task in tasks
    }


def task_progress(*, task: GovernanceTask, now: dt.datetime | None = None) -> Progress:
    return progress_for([task], now=now)[task.pk]
