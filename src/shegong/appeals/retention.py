"""Purging a finished appeal's personal data (docs/privacy.md).

An appeal that is finished — closed (已办结), not accepted, merged or withdrawn — keeps the worker's personal
data for SHEGONG_APPEAL_PII_RETENTION_DAYS after `closed_at` (three years by default; 0 turns the purge
off). Then, or at once when the worker asks on /h5/appeals/privacy/, the purge

- clears the phone and its blind index (the appeal no longer belongs to any phone), the address and the
  coordinates;
- replaces the text, the unit's reply and the closing reason (which can hold names and circumstances) with
  a short notice, clears the worker's rating comment, and replaces every non-empty note of the timeline,
  the returns, the extension requests and the supervisions with the notice;
- deletes the photos (rows now, files once the transaction has committed);
- empties the text the classifier kept for training (smart.Correction), which `smart retrain` then skips;
- sets `pii_purged_at`, the marker the desk shows and the next run skips (so running it again does
  nothing).

What the indicators count stays as it was: state, category, urgency, type, kind of work, platform,
division, unit, every date, the ratings (solved, satisfaction, first rating), returns, extensions,
supervisions and exclusions from the rates. So the rates of a period are the same before and after.

Each batch is one transaction with one audit row of counts only (`appeals.pii.purged`); the worker's own
request writes one `appeals.privacy.erased` row with the phone masked.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import CLOSED_STATES, OPEN_STATES
from shegong.appeals.models import (
    TEXT_MAX,
    Appeal,
    AppealEvent,
    Attachment,
    ExtensionRequest,
    ReturnRecord,
    Supervision,
)
from shegong.core import audit, pii
from shegong.divisions.codes import PREFIX_LENGTHS

__all__ = [
    "PURGED_NOTICE",
    "ErasureResult",
    "PurgeResult",
    "common_division_code",
    "expired",
    "purge_expired",
    "purge_for_phone",
    "purged_notice",
]

logger = logging.getLogger(__name__)

# What replaces the text and the notes, stored in the site's language (a deployment's data is Chinese:
# 已按规定清除). Short enough for every column it goes into (the shortest is 500 characters).
PURGED_NOTICE = gettext_noop("Removed under the retention rules")
BATCH_SIZE = 200
SYSTEM_LABEL = "retention"  # actor_label of the daily job's audit rows
WORKER_LABEL = "worker"  # actor_label of the worker's own request (as appeals.services.common.WORKER)


@dataclass
class PurgeResult:
    """What one purge run did (or, with `dry_run`, would do). No personal data: counts only."""

    appeals: int = 0
    photos: int = 0
    notes: int = 0
    batches: int = 0
    dry_run: bool = False
    disabled: bool = False
    retention_days: int = 0
    closed_before: dt.datetime | None = None

    def add(self, other: PurgeResult) -> None:
        self.appeals += other.appeals
        self.photos += other.photos
        self.notes += other.notes
        self.batches += other.batches

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["closed_before"] = self.closed_before.isoformat() if self.closed_before else None
        return data


@dataclass
class ErasureResult:
    """The worker's request: what was purged now, and how many open appeals were kept."""

    purged: PurgeResult
    tracking_nos: list[str] = field(default_factory=list)
    open_kept: int = 0


def purged_notice() -> str:
    """The notice in the site's language, whatever language the request or job runs in."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(PURGED_NOTICE)


def common_division_code(codes: Iterable[str]) -> str:
    """The 12-digit code of the deepest division containing all `codes` ("" when they share no province), so
    that the auditors of that area see an audit row about several appeals."""
    codes = [code for code in codes if code]
    if not codes:
        return ""
    shared = 0
    for chars in zip(*codes, strict=False):
        if len(set(chars)) != 1:
            break
        shared += 1
    level = max((length for length in PREFIX_LENGTHS if length <= shared), default=0)
    return codes[0][:level].ljust(12, "0") if level else ""


def _retention_days() -> int:
    return int(getattr(settings, "SHEGONG_APPEAL_PII_RETENTION_DAYS", 0) or 0)


def expired(now: dt.datetime | None = None) -> QuerySet[Appeal] | None:
    """Finished appeals whose retention period has run out and whose data is still there; None when the
    purge is off (SHEGONG_APPEAL_PII_RETENTION_DAYS ≤ 0)."""
    days = _retention_days()
    if days <= 0:
        return None
    before = (now or timezone.now()) - dt.timedelta(days=days)
    return Appeal.all_objects.filter(
        state__in=CLOSED_STATES, closed_at__lt=before, pii_purged_at__isnull=True
    ).order_by("pk")


def _delete_files(names: Sequence[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # The row is gone either way; a file that cannot be removed now is logged for the operator.
            logger.exception("could not delete the photo file %s", name)


def _redact(queryset: QuerySet[Any], column: str, notice: str) -> int:
    return queryset.exclude(**{column: ""}).update(**{column: notice})


def _purge_locked(ids: list[int], now: dt.datetime) -> PurgeResult:
    """Purge the appeals `ids` (already locked, finished, not yet purged). Call inside a transaction."""
    if not ids:
        return PurgeResult()
    notice = purged_notice()[:500]
    photos = list(Attachment.objects.filter(appeal_id__in=ids).values_list("pk", "file"))
    Attachment.objects.filter(pk__in=[pk for pk, _ in photos]).delete()
    names = [name for _, name in photos if name]
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    # update(): the values written are constants (empty, or the notice, which fits every column), so a
    # per-row full_clean would only re-check the untouched foreign keys, one query each.
    keep_or_notice = {
        column: Case(When(**{column: ""}, then=Value("")), default=Value(notice))
        for column in ("reply_text", "close_reason")
    }
    Appeal.all_objects.filter(pk__in=ids).update(
        phone="",
        phone_hash="",
        text=notice[:TEXT_MAX],
        address="",
        lat=None,
        lng=None,
        rating_comment="",
        pii_purged_at=now,
        version=F("version") + 1,
        **keep_or_notice,
    )
    notes = _redact(AppealEvent.objects.filter(appeal_id__in=ids), "note", notice)
    notes += _redact(ReturnRecord.objects.filter(appeal_id__in=ids), "note", notice)
    notes += _redact(ExtensionRequest.objects.filter(appeal_id__in=ids), "reason", notice)
    notes += _redact(ExtensionRequest.objects.filter(appeal_id__in=ids), "decision_note", notice)
    notes += _redact(Supervision.objects.filter(appeal_id__in=ids), "note", notice)
    if apps.is_installed("shegong.smart"):
        from shegong.smart.models import Correction

        # The text at the time of a dispatcher's decision is a copy of the worker's words.
        Correction.objects.filter(appeal_id__in=ids).exclude(text="").update(text="")
    return PurgeResult(appeals=len(ids), photos=len(photos), notes=notes, batches=1)


def _lock(queryset: QuerySet[Appeal]) -> list[int]:
    """Lock the rows and re-check them (finished, not purged) inside the transaction."""
    return list(
        queryset.select_for_update()
        .filter(state__in=CLOSED_STATES, pii_purged_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _dry_run(queryset: QuerySet[Appeal]) -> PurgeResult:
    ids = queryset.values("pk")
    notes = (
        AppealEvent.objects.filter(appeal_id__in=ids).exclude(note="").count()
        + ReturnRecord.objects.filter(appeal_id__in=ids).exclude(note="").count()
        + ExtensionRequest.objects.filter(appeal_id__in=ids).exclude(reason="").count()
        + ExtensionRequest.objects.filter(appeal_id__in=ids).exclude(decision_note="").count()
        + Supervision.objects.filter(appeal_id__in=ids).exclude(note="").count()
    )
    return PurgeResult(
        appeals=queryset.count(),
        photos=Attachment.objects.filter(appeal_id__in=ids).count(),
        notes=notes,
        dry_run=True,
    )


def purge_expired(
    *, now: dt.datetime | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PurgeResult:
    """Purge every finished appeal past the retention period, `batch_size` appeals per transaction, one
    audit row per batch. With `dry_run` count what would go and write nothing. Safe to run again: purged
    appeals are skipped."""
    now = now or timezone.now()
    queryset = expired(now)
    days = _retention_days()
    if queryset is None:
        return PurgeResult(disabled=True, dry_run=dry_run)
    closed_before = now - dt.timedelta(days=days)
    if dry_run:
        result = _dry_run(queryset)
        result.retention_days, result.closed_before = days, closed_before
        return result
    total = PurgeResult(retention_days=days, closed_before=closed_before)
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return total
        last_pk = batch[-1]
        total.add(_purge_batch(batch, now=now, days=days, closed_before=closed_before))


@transaction.atomic
def _purge_batch(batch: list[int], *, now: dt.datetime, days: int, closed_before: dt.datetime) -> PurgeResult:
    ids = _lock(Appeal.all_objects.filter(pk__in=batch))
    result = _purge_locked(ids, now)
    if result.appeals:
        audit.record(
            action=AppealsAction.PII_PURGED,
            actor_label=SYSTEM_LABEL,
            changes={
                "reason": "retention",
                "retention_days": days,
                "closed_before": closed_before.isoformat(),
                "appeals": result.appeals,
                "photos": result.photos,
                "notes": result.notes,
            },
        )
    return result


@transaction.atomic
def purge_for_phone(*, phone: str, now: dt.datetime | None = None) -> ErasureResult:
    """The worker's request (the caller verified `phone` by a one-time code): purge the personal data of
    every finished appeal filed with the phone at once, keep the open ones (they must be withdrawn or
    finished first), and write one audit row with the phone masked."""
    normal = pii.normalise(pii.PIIKind.PHONE, phone)
    now = now or timezone.now()
    mine = Appeal.all_objects.filter(pii.pii_match("phone_hash", pii.PIIKind.PHONE, normal))
    finished = list(
        mine.select_for_update()
        .filter(state__in=CLOSED_STATES, pii_purged_at__isnull=True)
        .order_by("submitted_at", "pk")
        .values_list("pk", "tracking_no", "division_id")
    )
    open_kept = mine.filter(state__in=OPEN_STATES).count()
    purged = _purge_locked([pk for pk, _, _ in finished], now)
    tracking_nos = [number for _, number, _ in finished]
    audit.record(
        action=AppealsAction.PRIVACY_ERASED,
        actor_label=WORKER_LABEL,
        division_code=common_division_code(code for _, _, code in finished),
        changes={
            "phone": pii.mask_phone(normal),
            "appeals": purged.appeals,
            "tracking_nos": tracking_nos,
            "photos": purged.photos,
            "notes": purged.notes,
            "open_kept": open_kept,
        },
    )
    return ErasureResult(purged=purged, tracking_nos=tracking_nos, open_kept=open_kept)
