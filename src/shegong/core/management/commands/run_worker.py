"""`run_worker` (`shegong worker`): the django-tasks-db worker plus a scheduler thread for periodic jobs.

The main thread is django-tasks-db's own worker loop (queued tasks, `SELECT … FOR UPDATE SKIP LOCKED`
on PostgreSQL). A daemon thread calls `periodic.run_due()` just after every minute boundary; the slot
claims make it safe to run many workers. SIGTERM/SIGINT: the worker finishes the task in hand, the
scheduler finishes the job in hand, then the process exits 0 (a second signal forces an exit).
`--once` drains the queue, runs the due jobs, drains again (jobs may enqueue work) and exits: for tests
and for cron-driven installs without a long-running process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.db import close_old_connections, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.translation import gettext
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from shegong.core import periodic

logger = logging.getLogger("shegong.worker")


class Scheduler:
    """Runs the due periodic jobs about every `every` seconds in a background thread."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # Daemon: a forced exit (second signal) must not hang on a job; a clean exit joins it in stop().
        self._thread = threading.Thread(target=self._loop, name="shegong-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the loop to end and wait for the job in hand to finish."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            # Wake just after the next boundary (slots are aligned on whole minutes), or at once on stop.
            self._stop.wait(self.every - time.time() % self.every + 1)

    def run_once(self) -> list[periodic.JobOutcome]:
        close_old_connections()
        try:
            return periodic.run_due()
        except Exception:
            # The database may be briefly unavailable; the next round tries again.
            logger.exception("periodic scheduler round failed")
            return []
        finally:
            # Connections are per thread: close this thread's, so a sleeping scheduler holds no database
            # connection (and no SQLite read snapshot) between rounds.
            connections.close_all()


class Command(DbWorkerCommand):
    help = (
        "Run the background worker: queued tasks plus the periodic jobs (about once a minute). "
        "Stops cleanly on SIGTERM or Ctrl+C. --once processes what is waiting and exits."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--once",
            action="store_true",
            help="process the queued tasks and the due periodic jobs once, then exit",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="do not run periodic jobs in this worker (another worker or cron runs them)",
        )
        parser.add_argument(
            "--schedule-every",
            type=float,
            default=60.0,
            help="seconds between periodic-job rounds (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = Worker(
            queue_names=queue_names,
            interval=0 if options["once"] else options["interval"],
            batch=options["once"] or options["batch"],
            backend_name=options["backend_name"],
            startup_delay=False if options["once"] else options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if options["once"]:
            self._once(worker, scheduler=options["scheduler"])
            return
        scheduler = Scheduler(options["schedule_every"]) if options["scheduler"] else None
        if options["reload"] and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the reloaded child handles signals
            run_with_reloader(self._serve, worker, scheduler)
        else:
            worker.configure_signals()
            self._serve(worker, scheduler)

    def _serve(self, worker: Worker, scheduler: Scheduler | None) -> None:
        if scheduler is not None:
            scheduler.start()
        try:
            worker.run()  # returns, or raises SystemExit from the signal handler
        finally:
            if scheduler is not None:
                scheduler.stop()

    def _once(self, worker: Worker, *, scheduler: bool) -> None:
        worker.configure_signals()
        worker.run()
        outcomes: list[periodic.JobOutcome] = []
        if scheduler and worker.running:
            # Flagged like a task in hand, so that a signal lets the jobs finish instead of exiting mid-job.
            worker.running_task = True
            try:
                outcomes = periodic.run_due()
            finally:
                worker.running_task = False
        worker.run()  # returns at once if a signal asked to stop
        self.stdout.write(
            gettext("Processed {tasks} tasks; periodic jobs run: {jobs}.").format(
                tasks=worker._run_tasks,
                jobs=", ".join(outcome.name for outcome in outcomes) or "-",
            )
        )
