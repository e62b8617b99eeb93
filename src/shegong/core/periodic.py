"""Periodic jobs (sweeps, purges) run by the worker's scheduler or by `run_periodic` from cron.

An app registers a job in its `tasks.py`:

    @periodic("appeals.sla_sweep", every_seconds=300)
    def sla_sweep(now: datetime) -> int: ...

Time is cut into slots of `every_seconds`, aligned on local midnight (a daily job's slot starts at 00:00
Asia/Shanghai). `run_due(now)` runs each job whose current slot has not been claimed yet. The claim is a
`PeriodicRun(name, slot)` row committed *before* the job runs; the unique constraint on (name, slot) makes
every other worker, or a second sweep, skip that slot. So a job runs at most once per slot: if it fails
(or the process dies), the slot is not retried and the next slot runs it again. Jobs must therefore be
catch-up sweeps ("everything overdue as of now"), never "what happened in the last 5 minutes". The job
runs outside the claim's transaction so that a long sweep does not hold a database lock (SQLite would
block every writer for its whole duration).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from shegong.core.models import PeriodicRun

__all__ = ["JobOutcome", "PeriodicJob", "autodiscover", "jobs", "periodic", "run_due", "run_job", "slot_of"]

logger = logging.getLogger(__name__)

JobFunction = Callable[[dt.datetime], object]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    function: JobFunction


@dataclass(frozen=True)
class JobOutcome:
    name: str
    slot: dt.datetime
    ok: bool
    result: object = None  # what the job returned (e.g. rows deleted), or the exception


_registry: dict[str, PeriodicJob] = {}
_discovered = False


def periodic(name: str, every_seconds: int) -> Callable[[JobFunction], JobFunction]:
    """Register `function(now)` to run once per slot of `every_seconds` (a divisor of a day is best)."""
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")

    def register(function: JobFunction) -> JobFunction:
        existing = _registry.get(name)
        # Re-importing a module registers its job again (fine); another module taking the name is a bug.
        if existing is not None and existing.function.__module__ != function.__module__:
            raise ValueError(f"periodic job {name!r} is already registered by {existing.function.__module__}")
        _registry[name] = PeriodicJob(name=name, every_seconds=every_seconds, function=function)
        return function

    return register


def autodiscover() -> None:
    """Import `tasks` of every shegong app, where jobs are registered (like admin.autodiscover)."""
    global _discovered
    if _discovered:
        return
    for config in apps.get_app_configs():
        if config.name.startswith("shegong.") and module_has_submodule(config.module, "tasks"):
            import_module(f"{config.name}.tasks")
    _discovered = True


def jobs() -> list[PeriodicJob]:
    autodiscover()
    return sorted(_registry.values(), key=lambda job: job.name)


def slot_of(job: PeriodicJob, now: dt.datetime) -> dt.datetime:
    """`now` floored to the job's interval, counted from local midnight of 1970-01-01."""
    if timezone.is_naive(now):
        raise ValueError("naive datetime")
    local = timezone.localtime(now)
    offset = local.utcoffset() or dt.timedelta(0)
    seconds = int(local.timestamp() + offset.total_seconds())
    floored = seconds - seconds % job.every_seconds - int(offset.total_seconds())
    return timezone.localtime(dt.datetime.fromtimestamp(floored, tz=dt.UTC))


def _claim(job: PeriodicJob, slot: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=job.name, slot=slot)
    except IntegrityError:
        return False  # another worker, or an earlier sweep, has this slot
    return True


def _run(job: PeriodicJob, slot: dt.datetime, now: dt.datetime) -> JobOutcome:
    try:
        result = job.function(now)
    except Exception as exc:
        # One failing job must not stop the others; the next slot runs it again.
        logger.exception("periodic job %s failed (slot %s)", job.name, slot.isoformat())
        return JobOutcome(name=job.name, slot=slot, ok=False, result=exc)
    logger.info("periodic job %s ran (slot %s): %s", job.name, slot.isoformat(), result)
    return JobOutcome(name=job.name, slot=slot, ok=True, result=result)


def run_due(now: dt.datetime | None = None) -> list[JobOutcome]:
    """Run every job whose current slot is unclaimed; returns what ran. Safe to call from many workers.
    Call it outside any transaction (the worker does), so that each claim commits before its job runs."""
    now = now or timezone.now()
    outcomes = []
    for job in jobs():
        slot = slot_of(job, now)
        if _claim(job, slot):
            outcomes.append(_run(job, slot, now))
    return outcomes


def run_job(name: str, now: dt.datetime | None = None) -> JobOutcome:
    """Run one job now whatever its schedule (`run_periodic --job NAME`); claims the current slot if free
    so the scheduler does not run it again right after."""
    autodiscover()
    job = _registry.get(name)
    if job is None:
        raise KeyError(name)
    now = now or timezone.now()
    slot = slot_of(job, now)
    _claim(job, slot)
    return _run(job, slot, now)
