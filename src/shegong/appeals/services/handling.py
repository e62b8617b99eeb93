"""The responsible unit's work: return (退单), sign for, contact, reply, extension (延期)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals import notifications as tpl
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm, Clock, ExtensionStatus, ReturnReason, State
from shegong.appeals.limits import RETURN_WINDOW_WORKING_HOURS
from shegong.appeals.models import TEXT_MAX, Appeal, ExtensionRequest, ReturnRecord
from shegong.appeals.services import common as c
from shegong.core import calendar


@transaction.atomic
def appeal_return(
    *, appeal: Appeal, actor: Any, reason: str, note: str = "", version: int | None = None
) -> Appeal:
    """退单: the unit sends a dispatched appeal back to the dispatcher (待派单) before signing for it and
    within 2 working hours of dispatch. The worker's timeline shows which unit returned it and why."""
    if reason not in ReturnReason.values:
        raise ValidationError({"reason": gettext("Choose why the appeal is returned.")})
    note = (note or "").strip()
    if reason == ReturnReason.OTHER and not note:
        raise ValidationError({"note": gettext("Explain the reason for returning the appeal.")})
    appeal = c.lock(appeal)
    c.require_handler(actor, appeal)
    c.check(appeal, c.RETURN, version=version)
    window_ends = calendar.add_working_hours(
        appeal.dispatched_at or timezone.now(), RETURN_WINDOW_WORKING_HOURS
    )
    if timezone.now() > window_ends:
        raise c.AppealConflict(
            gettext(
                "An appeal can be returned only within {hours} working hours of dispatch; sign for it and "
                "ask the dispatcher to re-dispatch it."
            ).format(hours=RETURN_WINDOW_WORKING_HOURS)
        )
    unit = appeal.unit
    if unit is None:  # the dispatched state guarantees a unit (a check constraint)
        raise c.AppealConflict
    ReturnRecord.objects.create(appeal=appeal, unit=unit, reason=reason, note=note[:500], by=actor)
    from_state = appeal.state
    appeal.state, appeal.unit, appeal.sign_due_at = State.ACCEPTED, None, None
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.RETURN,
        audit_action=AppealsAction.RETURNED,
        from_state=from_state,
        note=" — ".join(filter(None, [f"{unit.name}: {ReturnReason(reason).label}", note])),
        changes={"unit": unit.pk, "reason": reason},
    )
    return appeal


@transaction.atomic
def appeal_sign_for(*, appeal: Appeal, actor: Any, version: int | None = None) -> Appeal:
    """签收: the unit takes the appeal on (办理中); the first-contact and handling clocks start."""
    appeal = c.lock(appeal)
    c.require_handler(actor, appeal)
    c.check(appeal, c.SIGN_FOR, version=version)
    now = timezone.now()
    from_state = appeal.state
    appeal.state, appeal.signed_at = State.IN_PROGRESS, now
    appeal.contact_due_at = c.clock_due(appeal, Clock.FIRST_CONTACT, now)
    appeal.handle_due_at = c.clock_due(appeal, Clock.HANDLE, now)
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.SIGN_FOR,
        audit_action=AppealsAction.SIGNED_FOR,
        from_state=from_state,
    )
    c.sms_worker(appeal, tpl.SIGNED, unit=c.unit_name(appeal))
    return appeal


@transaction.atomic
def appeal_record_contact(
    *, appeal: Appeal, actor: Any, note: str = "", version: int | None = None
) -> Appeal:
    """首次联系 (and later contacts): the handler talked to the worker; the first one stops that clock."""
    appeal = c.lock(appeal)
    c.require_handler(actor, appeal)
    c.check(appeal, c.CONTACT, version=version)
    if appeal.first_contact_at is None:
        appeal.first_contact_at = timezone.now()
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.CONTACT,
        audit_action=AppealsAction.CONTACTED,
        from_state=appeal.state,
        note=(note or "").strip()[:1000],
    )
    return appeal


@transaction.atomic
def appeal_reply(
    *, appeal: Appeal, actor: Any, text: str, resolved: bool | None = None, version: int | None = None
) -> Appeal:
    """答复: the unit's answer to the worker (已答复); the revisit clock starts. `resolved` is the unit's own
    view, kept in the timeline and audit; whether it was resolved is the worker's rating."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": gettext("Write the reply to the worker.")})
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {"text": gettext("The reply is longer than {n} characters.").format(n=TEXT_MAX)}
        )
    appeal = c.lock(appeal)
    c.require_handler(actor, appeal)
    c.check(appeal, c.REPLY, version=version)
    now = timezone.now()
    from_state = appeal.state
    appeal.state, appeal.replied_at, appeal.reply_text = State.REPLIED, now, text
    if appeal.first_contact_at is None:
        appeal.first_contact_at = now  # the reply itself is a contact
    appeal.revisit_due_at = c.clock_due(appeal, Clock.REVISIT, now)
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.REPLY,
        audit_action=AppealsAction.REPLIED,
        from_state=from_state,
        note=text,
        changes={"unit_says_resolved": resolved},
    )
    c.sms_worker(appeal, tpl.REPLIED, unit=c.unit_name(appeal))
    return appeal


@transaction.atomic
def appeal_request_extension(
    *, appeal: Appeal, actor: Any, days: int, reason: str, version: int | None = None
) -> ExtensionRequest:
    """延期 request: at most 10 working days, once per appeal; a supervisor decides."""
    reason = (reason or "").strip()
    if not 1 <= int(days) <= ExtensionRequest.MAX_DAYS:
        raise ValidationError(
            {
                "days": gettext("An extension is between 1 and {n} working days.").format(
                    n=ExtensionRequest.MAX_DAYS
                )
            }
        )
    if not reason:
        raise ValidationError({"reason": gettext("Give the reason for the extension.")})
    appeal = c.lock(appeal)
    c.require_handler(actor, appeal)
    c.check(appeal, c.REQUEST_EXTENSION, version=version)
    if appeal.extension_used:
        raise c.AppealConflict(gettext("An extension has already been requested for this appeal."))
    request = ExtensionRequest(appeal=appeal, days=days, reason=reason[:500], requested_by=actor)
    request.full_clean()
    request.save()
    appeal.extension_used = True
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.REQUEST_EXTENSION,
        audit_action=AppealsAction.EXTENSION_REQUESTED,
        from_state=appeal.state,
        note=reason,
        public=False,
        changes={"days": days},
    )
    return request


@transaction.atomic
def appeal_decide_extension(
    *, request: ExtensionRequest, actor: Any, approve: bool, note: str = "", version: int | None = None
) -> ExtensionRequest:
    """A supervisor approves (the reply deadline moves by the requested working days; the worker is told) or
    refuses an extension request."""
    appeal = c.lock(request.appeal)
    c.require(actor, AppealsPerm.SUPERVISE, appeal)
    request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ExtensionStatus.PENDING:
        raise c.AppealConflict(gettext("This extension request has already been decided."))
    c.check(appeal, c.DECIDE_EXTENSION, version=version)
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.decision_note = (note or "").strip()[:500]
    request.full_clean()
    request.save()
    changes: dict[str, Any] = {"days": request.days, "approved": approve}
    if approve:
        base = appeal.handle_due_at or timezone.now()
        appeal.handle_due_at = calendar.add_working_days(base, request.days)
        changes["handle_due_at"] = appeal.handle_due_at.isoformat()
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.DECIDE_EXTENSION,
        audit_action=AppealsAction.EXTENSION_DECIDED,
        from_state=appeal.state,
        note=request.decision_note,
        public=approve,
        changes=changes,
    )
    if approve:
        c.sms_worker(appeal, tpl.EXTENDED, days=request.days, due=c.local_text(appeal.handle_due_at))
    return request
