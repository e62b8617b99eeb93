"""What hotspots adds to other pages: the block on the dashboard home and the open-alert count on the desk."""

from __future__ import annotations

from typing import Any

from shegong.smart.hotspots import selectors
from shegong.smart.hotspots.choices import AlertStatus, HotspotPerm, TaskStatus

BLOCK_ALERTS = 5


def open_alert_count(user: Any) -> int:
    return selectors.alerts_visible_to(user=user, status=AlertStatus.OPEN).count()


def hotspot_block(user: Any) -> dict[str, Any] | None:
    """The newest open alerts of the user's area, clusters (the most local) first, and the count of running
    tasks; None without the permission."""
    if not user.has_scope_perm(HotspotPerm.VIEW):
        return None
    open_alerts = selectors.alerts_visible_to(user=user, status=AlertStatus.OPEN)
    running = selectors.tasks_visible_to(user=user).exclude(status=TaskStatus.DONE)
    return {
        "alerts": list(open_alerts.order_by("-window_end", "kind", "-count", "-pk")[:BLOCK_ALERTS]),
        "open_count": open_alerts.count(),
        "running_tasks": running.count(),
    }


def register_block() -> None:
    from shegong.web.dashboard import DashboardBlock, register

    register(DashboardBlock("hotspots", "hotspots/_dashboard_block.html", hotspot_block, order=10))
