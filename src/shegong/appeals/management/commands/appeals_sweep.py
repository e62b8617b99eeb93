"""`appeals_sweep` (`shegong manage appeals_sweep`): run the SLA sweep once, by hand or from cron."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals import sla
from shegong.appeals.choices import Clock, SlaStage


def _parse_now(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            gettext("--now must be a date and time such as 2026-10-09T10:00, not “{value}”.").format(
                value=value
            )
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Run the deadline sweep once: warnings before a deadline, then reminder, urging notice and "
        "supervision after it, and closing replies left unrated for 7 days. The worker runs it every "
        "minute; running it again does nothing twice. --dry-run lists what it would do."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--now",
            type=_parse_now,
            metavar="YYYY-MM-DDTHH:MM",
            help="sweep as of this time (local time unless an offset is given); later than now only with "
            "--dry-run",
        )
        parser.add_argument("--dry-run", action="store_true", help="list the steps, change nothing")

    def handle(self, *args: Any, now: dt.datetime | None, dry_run: bool, **options: Any) -> None:
        if now is not None and now > timezone.now() and not dry_run:
            # Reminders would call appeals overdue that are not, and the services check the real time.
            raise CommandError(gettext("A time in the future is allowed only with --dry-run."))
        result = sla.sweep(now, dry_run=dry_run)
        if dry_run:
            for step in result.steps:
                self.stdout.write(
                    gettext("{number}: {clock} — {stage} (deadline {due})").format(
                        number=step.tracking_no,
                        clock=Clock(step.clock).label,
                        stage=_stage_label(step.stage),
                        due=timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M"),
                    )
                )
        summary = gettext(
            "Warnings: {warning}, reminders: {reminder}, urging notices: {urge}, supervisions: {supervise}, "
            "closed unrated: {closed}, skipped: {skipped}, failed: {failed}."
        ).format(**result.as_dict())
        if dry_run:
            self.stdout.write(gettext("Dry run: nothing was changed."))
        self.stdout.write(summary)
        if result.failed:
            raise CommandError(gettext("Some appeals failed; see the log above."))


def _stage_label(stage: str) -> str:
    if stage == sla.CLOSE_UNRATED:
        return gettext("close unrated")
    return str(SlaStage(stage).label)
