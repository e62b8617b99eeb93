"""Periodic job of hotspots, run by `shegong worker` (core.periodic)."""

from __future__ import annotations

import datetime as dt

from shegong.core import periodic
from shegong.smart.hotspots import job


@periodic.periodic("smart.hotspots", every_seconds=3600)
def hotspots(now: dt.datetime) -> dict[str, int]:
    """Clusters and surges of the last week, once an hour. Catch-up by design: every run looks at the whole
    window, so a missed hour is made up by the next."""
    return job.run(now=now).as_dict()
