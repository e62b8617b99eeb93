"""`appeals_purge_pii` (`shegong manage appeals_purge_pii [--dry-run]`): purge the personal data of appeals
finished more than SHEGONG_APPEAL_PII_RETENTION_DAYS ago, as the daily job does (docs/privacy.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals import retention


class Command(BaseCommand):
    help = (
        "Remove the personal data (phone, text, place, photos, notes) of appeals finished longer ago than "
        "SHEGONG_APPEAL_PII_RETENTION_DAYS, keeping what the indicators count. The worker runs it daily; "
        "running it again does nothing twice. --dry-run counts what it would remove and changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be removed, change nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=retention.BATCH_SIZE,
            help="appeals per transaction (default %(default)s)",
        )

    def handle(self, *args: Any, dry_run: bool, batch_size: int, **options: Any) -> None:
        result = retention.purge_expired(dry_run=dry_run, batch_size=max(1, batch_size))
        if result.disabled:
            self.stdout.write(
                gettext("The purge is off (SHEGONG_APPEAL_PII_RETENTION_DAYS is 0). Nothing was changed.")
            )
            return
        assert result.closed_before is not None  # noqa: S101 - set whenever the purge is on
        self.stdout.write(
            gettext("Retention: {days} days; appeals finished before {date}.").format(
                days=result.retention_days,
                date=timezone.localtime(result.closed_before).strftime("%Y-%m-%d %H:%M"),
            )
        )
        summary = gettext("Appeals: {appeals}, photos: {photos}, notes: {notes}.").format(
            appeals=result.appeals, photos=result.photos, notes=result.notes
        )
        if dry_run:
            self.stdout.write(gettext("Dry run: nothing was changed. It would remove:"))
        self.stdout.write(summary)
