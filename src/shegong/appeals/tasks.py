"""Periodic jobs of the appeals module, run by `shegong worker` (core.periodic)."""

from __future__ import annotations

import datetime as dt

from shegong.appeals import retention, sla
from shegong.core import periodic


@periodic.periodic("appeals.sla_sweep", every_seconds=60)
def sla_sweep(now: dt.datetime) -> dict[str, int]:
    """Deadline warnings and escalation (提醒 → 催办 → 督办), and closing replies left unrated for 7 days.
    Catch-up by design: a missed minute is made up by the next one."""
    return sla.sweep(now).as_dict()


@periodic.periodic("appeals.purge_pii", every_seconds=86400)
def purge_pii(now: dt.datetime) -> dict[str, object]:
    """Purge the personal data of appeals finished more than SHEGONG_APPEAL_PII_RETENTION_DAYS ago
    (appeals/retention.py; off at 0). Catch-up by design: a missed day is made up by the next one."""
    return retention.purge_expired(now=now).as_dict()
