"""Excluding an appeal judged 不合理诉求 from the rates, and lifting that exclusion. Both need
`AppealsPerm.EXCLUDE` over the appeal's division and are audited in the same transaction.

The appeal row itself is not changed (no version bump): an exclusion is a judgement about the statistics,
not a step of the appeal's handling, and must not turn anyone's open action form into a conflict.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Appeal, RateExclusion
from shegong.appeals.services.common import AppealConflict, lock, require
from shegong.core import audit

REASON_MAX = 500


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Give the reason.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": gettext("The reason is longer than {n} characters.").format(n=REASON_MAX)}
        )
    return reason


@transaction.atomic
def exclusion_add(*, appeal: Appeal, actor: Any, reason: str) -> RateExclusion:
    """Leave `appeal` out of every rate (it is still counted in the “excluded” column). A second
    exclusion of the same appeal is a conflict."""
    reason = _clean_reason(reason)
    appeal = lock(appeal)  # serialises two reviewers excluding the same appeal at once
    require(actor, AppealsPerm.EXCLUDE, appeal)
    if RateExclusion.objects.filter(appeal=appeal).exists():
        raise AppealConflict(gettext("This appeal is already excluded from the rates."))
    exclusion = RateExclusion(appeal=appeal, reason=reason, by=actor, at=timezone.now())
    exclusion.full_clean()
    exclusion.save()
    audit.record(
        action=AppealsAction.EXCLUDED,
        actor=actor,
        target=appeal,
        changes={"reason": reason, "state": appeal.state},
    )
    return exclusion


@transaction.atomic
def exclusion_lift(*, exclusion: RateExclusion, actor: Any, reason: str) -> Appeal:
    """Count the appeal in the rates again; the audit row keeps who excluded it, when and why."""
    reason = _clean_reason(reason)
    appeal = lock(exclusion.appeal)
    require(actor, AppealsPerm.EXCLUDE, appeal)
    current = RateExclusion.objects.select_for_update().filter(pk=exclusion.pk, appeal=appeal).first()
    if current is None:
        raise AppealConflict(gettext("This exclusion has already been lifted."))
    audit.record(
        action=AppealsAction.EXCLUSION_LIFTED,
        actor=actor,
        target=appeal,
        changes={
            "reason": reason,
            "excluded": {
                "reason": current.reason,
                "by": current.by.get_username(),
                "at": current.at.isoformat(),
            },
        },
    )
    current.delete()
    return appeal
