"""Periodic jobs run once per slot; the core purges; the worker command really executes queued tasks."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from shegong.core import periodic, tasks
from shegong.core.models import IdempotencyKey, PeriodicRun, RateCounter

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 28, 10, 17, tzinfo=SH)
# The worker checks its connection like a request does (close_old_connections), which closes a connection
# inside a test's transaction on PostgreSQL: these tests commit (tests/conftest.py reseeds the calendar).
WORKER_DB = pytest.mark.django_db(transaction=True)
SLOT = dt.datetime(2026, 11, 28, 10, 15, tzinfo=SH)  # NOW's five-minute slot


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dt.datetime]]:
    """A registry of two test jobs (a fine one and a broken one) instead of the real ones."""
    seen: list[tuple[str, dt.datetime]] = []
    monkeypatch.setattr(periodic, "_registry", {})
    monkeypatch.setattr(periodic, "_discovered", True)

    @periodic.periodic("test.every_five_minutes", every_seconds=300)
    def every_five_minutes(now: dt.datetime) -> int:
        seen.append(("test.every_five_minutes", now))
        return len(seen)

    @periodic.periodic("test.broken", every_seconds=3600)
    def broken(now: dt.datetime) -> int:
        seen.append(("test.broken", now))
        raise RuntimeError("boom")

    return seen


def test_a_slot_runs_once_however_often_the_sweep_runs(calls: list[tuple[str, dt.datetime]]) -> None:
    first = periodic.run_due(NOW)
    second = periodic.run_due(NOW + dt.timedelta(minutes=2))  # same five-minute slot
    assert [outcome.name for outcome in first] == ["test.broken", "test.every_five_minutes"]
    assert second == []
    assert [name for name, _ in calls] == ["test.broken", "test.every_five_minutes"]
    assert PeriodicRun.objects.filter(name="test.every_five_minutes").count() == 1


def test_the_next_slot_runs_again(calls: list[tuple[str, dt.datetime]]) -> None:
    periodic.run_due(NOW)
    later = periodic.run_due(NOW + dt.timedelta(minutes=5))
    assert [outcome.name for outcome in later] == ["test.every_five_minutes"]  # the hourly one waits
    slots = list(PeriodicRun.objects.filter(name="test.every_five_minutes").values_list("slot", flat=True))
    assert sorted(slots) == [
        dt.datetime(2026, 11, 28, 10, 15, tzinfo=SH),
        dt.datetime(2026, 11, 28, 10, 20, tzinfo=SH),
    ]


def test_a_slot_claimed_by_another_worker_is_skipped(calls: list[tuple[str, dt.datetime]]) -> None:
    PeriodicRun.objects.create(
        name="test.every_five_minutes", slot=dt.datetime(2026, 11, 28, 10, 15, tzinfo=SH)
    )
    outcomes = periodic.run_due(NOW)
    assert [outcome.name for outcome in outcomes] == ["test.broken"]
    assert ("test.every_five_minutes", NOW) not in calls


def test_a_failing_job_is_reported_and_does_not_stop_the_others(calls: list[tuple[str, dt.datetime]]) -> None:
    outcomes = {outcome.name: outcome for outcome in periodic.run_due(NOW)}
    assert not outcomes["test.broken"].ok
    assert isinstance(outcomes["test.broken"].result, RuntimeError)
    assert outcomes["test.every_five_minutes"].ok
    assert periodic.run_due(NOW) == []  # the failed slot is not retried; the next slot will be


def test_daily_slots_start_at_local_midnight() -> None:
    daily = periodic.PeriodicJob(name="x", every_seconds=86400, function=lambda now: None)
    assert periodic.slot_of(daily, dt.datetime(2026, 11, 28, 7, 59, tzinfo=SH)) == dt.datetime(
        2026, 11, 28, tzinfo=SH
    )
    assert periodic.slot_of(daily, dt.datetime(2026, 11, 27, 23, 59, tzinfo=SH)) == dt.datetime(
        2026, 11, 27, tzinfo=SH
    )


def test_a_name_cannot_be_taken_by_two_modules(calls: list[tuple[str, dt.datetime]]) -> None:
    def impostor(now: dt.datetime) -> None:
        return None

    impostor.__module__ = "somewhere.else"
    with pytest.raises(ValueError, match="already registered"):
        periodic.periodic("test.broken", every_seconds=60)(impostor)


# --- the core jobs --------------------------------------------------------------------------------------


def test_the_core_jobs_are_discovered() -> None:
    names = {job.name for job in periodic.jobs()}
    assert {"core.purge_rate_counters", "core.purge_idempotency_keys", "core.purge_periodic_runs"} <= names


def test_purge_rate_counters_keeps_the_last_day() -> None:
    RateCounter.objects.create(key="login-ip:1", window_start=NOW - dt.timedelta(hours=25), count=3)
    recent = RateCounter.objects.create(key="login-ip:1", window_start=NOW - dt.timedelta(hours=2), count=1)
    assert tasks.purge_rate_counters(NOW) == 1
    assert list(RateCounter.objects.all()) == [recent]


@pytest.mark.parametrize(("ttl", "kept"), [(None, {"fresh", "two-days"}), (24, {"fresh"})])
def test_purge_idempotency_keys_uses_the_ttl(ttl: int | None, kept: set[str]) -> None:
    for key, age in [("fresh", 1), ("two-days", 48), ("old", 73)]:
        IdempotencyKey.objects.create(
            scope="s", key=key, request_hash="h", status_code=201, created_at=NOW - dt.timedelta(hours=age)
        )
    settings = {"SHEGONG_IDEMPOTENCY_TTL_HOURS": ttl} if ttl else {}
    with override_settings(**settings):
        tasks.purge_idempotency_keys(NOW)
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == kept


# --- commands -------------------------------------------------------------------------------------------


def test_run_periodic_runs_due_jobs_once(capsys: pytest.CaptureFixture[str]) -> None:
    with translation.override("en"):
        call_command("run_periodic")
        first = capsys.readouterr().out
        call_command("run_periodic")
        second = capsys.readouterr().out
    assert "ran core.purge_rate_counters" in first
    assert "No job was due." in second


def test_run_periodic_job_forces_one_job(capsys: pytest.CaptureFixture[str]) -> None:
    RateCounter.objects.create(key="k", window_start=NOW - dt.timedelta(days=30), count=1)
    call_command("run_periodic")
    RateCounter.objects.create(key="k", window_start=NOW - dt.timedelta(days=30, hours=1), count=1)
    with translation.override("en"):
        call_command("run_periodic", "--job", "core.purge_rate_counters")
    assert "ran core.purge_rate_counters" in capsys.readouterr().out
    assert not RateCounter.objects.exists()


def test_run_periodic_unknown_job() -> None:
    with translation.override("en"), pytest.raises(CommandError, match="No periodic job named nope"):
        call_command("run_periodic", "--job", "nope")


@WORKER_DB
def test_run_worker_once_executes_a_queued_task() -> None:
    RateCounter.objects.create(key="k", window_start=NOW - dt.timedelta(days=30), count=1)
    result = tasks.run_periodic_jobs.enqueue()
    # --no-scheduler: only the queued task can have run the jobs.
    call_command("run_worker", "--once", "--no-scheduler", verbosity=0)
    row = DBTaskResult.objects.get(id=result.id)
    assert row.status == "SUCCESSFUL"
    assert "core.purge_rate_counters" in row.return_value
    assert not RateCounter.objects.exists()
    assert PeriodicRun.objects.filter(name="core.purge_rate_counters").exists()


@WORKER_DB
def test_run_worker_once_also_runs_due_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    with translation.override("en"):
        call_command("run_worker", "--once", verbosity=0)
    assert "core.purge_rate_counters" in capsys.readouterr().out
    assert PeriodicRun.objects.filter(name="core.purge_idempotency_keys").count() == 1


def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A real worker process on its own SQLite file: its scheduler runs, SIGTERM ends it with status 0."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["SHEGONG_DATA_DIR"] = str(tmp_path)
    manage = [sys.executable, "-m", "django", "--settings=shegong.config.settings"]
    subprocess.run([*manage[:3], "migrate", "--verbosity=0", manage[3]], env=env, check=True)  # noqa: S603
    worker = subprocess.Popen(  # noqa: S603
        [*manage[:3], "run_worker", "--no-startup-delay", "--no-reload", "--interval=0.2", manage[3]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        database = tmp_path / "shegong.sqlite3"
        deadline = time.monotonic() + 60
        ran = 0
        while not ran and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            with sqlite3.connect(database) as connection:
                ran = connection.execute("SELECT count(*) FROM core_periodicrun").fetchone()[0]
        assert ran, "the scheduler thread never ran the periodic jobs"
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert b"Traceback" not in (worker.stderr.read() if worker.stderr else b"")
