"""Periodic jobs of the appeals module, run by `shegong worker` (core.periodic)."""

from __future__ import annotations

import datetime as dt

from shegong.appeals import sla
from shegong.core import periodic


@periodic.periodic("appeals.sla_sweep", every_seconds=60)
def sla_sweep(now: dt.datetime) -> dict[str, int]:
    """Deadline warnings and escalation (提醒 → 催办 → 督办), and closing replies left unrated for 7 days.
    Catch-up by design: a missed minute is made up by the next one."""
    return sla.sweep(now).as_dict()
