"""Background tasks and periodic jobs of the core layer (housekeeping of its own tables)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from shegong.core import notify, periodic, phone_verification, ratelimit
from shegong.core.models import IdempotencyKey, PeriodicRun

# Counters only matter inside their window (minutes to an hour); a day keeps them for troubleshooting.
RATE_COUNTER_KEEP = dt.timedelta(days=1)
# Claims only prevent a slot from running twice; a week is plenty to see when a job last ran.
PERIODIC_RUN_KEEP = dt.timedelta(days=7)


@periodic.periodic("core.purge_rate_counters", every_seconds=3600)
def purge_rate_counters(now: dt.datetime) -> int:
    """Delete rate-limit counters older than a day."""
    return ratelimit.purge_older_than(now - RATE_COUNTER_KEEP)


@periodic.periodic("core.purge_idempotency_keys", every_seconds=86400)
def purge_idempotency_keys(now: dt.datetime) -> int:
    """Delete stored idempotent responses older than SHEGONG_IDEMPOTENCY_TTL_HOURS (72 by default)."""
    ttl = dt.timedelta(hours=getattr(settings, "SHEGONG_IDEMPOTENCY_TTL_HOURS", 72))
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=now - ttl).delete()
    return deleted


@periodic.periodic("core.purge_periodic_runs", every_seconds=86400)
def purge_periodic_runs(now: dt.datetime) -> int:
    """Delete old slot claims (a five-minute sweep alone adds 288 rows a day)."""
    deleted, _ = PeriodicRun.objects.filter(slot__lt=now - PERIODIC_RUN_KEEP).delete()
    return deleted


@task()
def run_periodic_jobs() -> list[str]:
    """Run the due periodic jobs from the queue (for deployments that enqueue instead of running a
    scheduler); returns the names of the jobs that ran."""
    return [outcome.name for outcome in periodic.run_due(timezone.now())]


@periodic.periodic("core.deliver_outbox", every_seconds=60)
def deliver_outbox(now: dt.datetime) -> int:
    """Send the notifications that are due (new ones the immediate send missed, and retries)."""
    return notify.deliver_due(now)


# The daily code limit looks back 24 hours; two days keeps the rows for troubleshooting.
PHONE_VERIFICATION_KEEP = dt.timedelta(days=2)


@periodic.periodic("core.purge_phone_verifications", every_seconds=86400)
def purge_phone_verifications(now: dt.datetime) -> int:
    """Delete one-time code rows older than two days."""
    return phone_verification.purge_older_than(now - PHONE_VERIFICATION_KEEP)
