"""`run_periodic` runs the periodic jobs that are due, once (for cron, or to check a job by hand)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from shegong.core import periodic


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (purges, SLA sweeps) whose time slot has not run yet, then exit. Safe to run "
        "from cron next to workers: each slot runs once. --job NAME runs one job now whatever its schedule; "
        "--list shows the jobs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--job", metavar="NAME", help="run this job now, even if its slot already ran")
        parser.add_argument(
            "--list", action="store_true", dest="list_jobs", help="list the registered jobs and exit"
        )

    def handle(self, *args: Any, job: str | None, list_jobs: bool, **options: Any) -> None:
        if list_jobs:
            for entry in periodic.jobs():
                self.stdout.write(
                    gettext("{name}: every {seconds} s").format(name=entry.name, seconds=entry.every_seconds)
                )
            return
        if job:
            try:
                outcomes = [periodic.run_job(job)]
            except KeyError:
                names = ", ".join(entry.name for entry in periodic.jobs())
                raise CommandError(
                    gettext("No periodic job named {name}. Known jobs: {names}").format(name=job, names=names)
                ) from None
        else:
            outcomes = periodic.run_due()
        if not outcomes:
            self.stdout.write(gettext("No job was due."))
        failed = False
        for outcome in outcomes:
            if outcome.ok:
                line = gettext("ran {name} (slot {slot}): {result}")
            else:
                failed = True
                line = gettext("FAILED {name} (slot {slot}): {result}")
            slot = outcome.slot.isoformat()
            self.stdout.write(line.format(name=outcome.name, slot=slot, result=outcome.result))
        if failed:
            raise CommandError(gettext("At least one job failed; see the log above."))
