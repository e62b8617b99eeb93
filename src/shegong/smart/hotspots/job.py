"""One run of the hotspot job: read the window, find clusters and surges, record them (or only list them)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from shegong.divisions.models import Division
from shegong.smart.hotspots import detect, services
from shegong.smart.hotspots.detect import Finding, Params

logger = logging.getLogger(__name__)


@dataclass
class Result:
    window: detect.Window
    appeals: int = 0
    groups: int = 0
    findings: list[Finding] = field(default_factory=list)
    created: int = 0
    grew: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "appeals": self.appeals,
            "groups": self.groups,
            "clusters": sum(f.kind == "cluster" for f in self.findings),
            "surges": sum(f.kind == "surge" for f in self.findings),
            "created": self.created,
            "grew": self.grew,
            "unchanged": self.unchanged,
        }


def run(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    division_prefix: str = "",
    params: Params | None = None,
) -> Result:
    """Find the hotspots of the window ending at `now`'s hour (default: now) and, unless `dry_run`, record
    each (one transaction per alert, so one bad row does not undo the others). Idempotent: a second run
    with the same window changes nothing."""
    params = params or Params.from_settings()
    window = detect.window_for(now or timezone.now(), params)
    rows = detect.load_rows(window, division_prefix=division_prefix)
    scan = detect.find(rows, window, params, surges=len(division_prefix) <= detect.COUNTY_DIGITS)
    result = Result(window=window, appeals=scan.rows, groups=scan.groups, findings=scan.findings)
    if dry_run or not scan.findings:
        return result
    known = set(
        Division.objects.filter(code__in={f.division_code for f in scan.findings}).values_list(
            "code", flat=True
        )
    )
    for finding in scan.findings:
        if finding.division_code not in known:  # appeals filed at a code the tree does not hold
            logger.warning("hotspot in unknown division %s skipped", finding.division_code)
            continue
        _alert, outcome = services.hotspot_record(finding=finding, now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result
