"""`smart_hotspots` (`shegong smart hotspots`): run the hotspot job once, by hand or from cron."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals.models import Category
from shegong.divisions.models import Division
from shegong.smart.hotspots import job
from shegong.smart.hotspots.choices import AlertKind


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


def _parse_prefix(value: str) -> str:
    if not value.isdigit() or len(value) > 12:
        raise CommandError(
            gettext("--division must be a division code or its leading digits, not “{value}”.").format(
                value=value
            )
        )
    return value


class Command(BaseCommand):
    help = (
        "Find hotspots once: similar appeals piling up in one street and sudden rises of a category in a "
        "district over the last week, and raise alerts for the dashboard. The worker runs it every hour; "
        "running it again in the same hour changes nothing. --dry-run lists what it finds."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--now",
            type=_parse_now,
            metavar="YYYY-MM-DDTHH:MM",
            help="look at the week before this time (local time unless an offset is given); later than now "
            "only with --dry-run",
        )
        parser.add_argument("--division", type=_parse_prefix, help="only this division subtree")
        parser.add_argument("--dry-run", action="store_true", help="list the hotspots, change nothing")

    def handle(
        self, *args: Any, now: dt.datetime | None, division: str | None, dry_run: bool, **options: Any
    ) -> None:
        if now is not None and now > timezone.now() and not dry_run:
            raise CommandError(gettext("A time in the future is allowed only with --dry-run."))
        result = job.run(now=now, dry_run=dry_run, division_prefix=division or "")
        names = dict(
            Division.objects.filter(code__in={f.division_code for f in result.findings}).values_list(
                "code", "name"
            )
        )
        categories = dict(Category.objects.values_list("pk", "name"))
        for finding in result.findings:
            self.stdout.write(
                gettext(
                    "{kind}: {place} · {category} — {count} appeals (weekly average before {baseline}): "
                    "{keywords}"
                ).format(
                    kind=AlertKind(finding.kind).label,
                    place=names.get(finding.division_code, finding.division_code),
                    category=categories.get(finding.category_id, finding.category_id),
                    count=finding.count,
                    baseline=finding.baseline,
                    keywords=finding.keywords or "—",
                )
            )
        start = timezone.localtime(result.window.start).strftime("%Y-%m-%d %H:%M")
        end = timezone.localtime(result.window.end).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(
            gettext(
                "Window {start} – {end}: {appeals} appeals read, {groups} street groups compared, "
                "{clusters} clusters and {surges} surges found; alerts new: {created}, grown: {grew}, "
                "unchanged: {unchanged}."
            ).format(start=start, end=end, **result.as_dict())
        )
        if dry_run:
            self.stdout.write(gettext("Dry run: nothing was changed."))
