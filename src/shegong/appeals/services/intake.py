"""Filing and intake: submit, accept, reject, dispatch (and 转派), merge, withdraw."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals import notifications as tpl
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm, Clock, State, Urgency
from shegong.appeals.models import Appeal, AppealEvent, Category
from shegong.appeals.routing import route
from shegong.appeals.services import common as c
from shegong.appeals.tracking import new_tracking_no
from shegong.core import audit
from shegong.core.scoping import has_perm_on
from shegong.divisions.models import Division, Unit

_TRACKING_TRIES = 5


@transaction.atomic
def appeal_submit(
    *,
    actor: Any = None,
    text: str,
    division: Division,
    phone: str,
    appeal_type: str,
    worker_type: str,
    channel: str,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
    platform: str = "",
    address: str = "",
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    anonymous: bool = False,
    actor_label: str = c.WORKER,
    filed_by: Any = None,
    source_ref: str = "",
) -> Appeal:
    """File an appeal (待受理). `actor=None`: the worker (phone verified by the caller) or a platform's
    API token named in `actor_label`; a staff actor (hotline operator) needs the intake permission over
    the division. `filed_by` is the account that filed it for the worker (a platform's API account needs
    the file or intake permission over the division) and `source_ref` that caller's own reference. The
    worker gets the tracking number by SMS."""
    appeal = Appeal(
        text=(text or "").strip(),
        division=division,
        phone=phone,
        appeal_type=appeal_type,
        worker_type=worker_type,
        channel=channel,
        category=category,
        urgency=urgency,
        platform=(platform or "").strip(),
        address=(address or "").strip(),
        lat=lat,
        lng=lng,
        anonymous=anonymous,
        filed_by=filed_by,
        source_ref=(source_ref or "").strip(),
        state=State.SUBMITTED,
        submitted_at=timezone.now(),
    )
    if actor is not None:
        c.require(actor, AppealsPerm.INTAKE, appeal)
    if filed_by is not None and not (
        has_perm_on(filed_by, AppealsPerm.FILE, appeal) or has_perm_on(filed_by, AppealsPerm.INTAKE, appeal)
    ):
        raise PermissionDenied
    if category is not None and not category.is_active:
        raise ValidationError({"category": gettext("This category is no longer in use.")})
    # The related rows arrive as loaded instances, and a new appeal (submitted, no unit, not merged)
    # meets the state constraints by construction: re-checking them would cost five queries inside the
    # transaction on the platforms' bulk filing path. Field values (text length, phone, choices) are checked.
    appeal.full_clean(exclude=["tracking_no", "division", "category", "filed_by"], validate_constraints=False)
    for attempt in range(_TRACKING_TRIES):
        appeal.tracking_no = new_tracking_no()
        try:
            with transaction.atomic():
                appeal.save()
            break
        except IntegrityError:
            if (
                attempt == _TRACKING_TRIES - 1
                or Appeal.all_objects.filter(tracking_no=appeal.tracking_no).count() == 0
            ):
                raise
    AppealEvent.objects.create(
        appeal=appeal,
        actor=actor,
        actor_label=c.label_of(actor, actor_label),
        action=c.SUBMIT,
        to_state=State.SUBMITTED,
    )
    audit.record(
        action=AppealsAction.SUBMITTED,
        actor=actor,
        actor_label="" if actor is not None else actor_label,
        target=appeal,
        changes={"to": State.SUBMITTED, "channel": channel},
    )
    c.announce(appeal, action=c.SUBMIT, actor=actor, from_state="")
    c.sms_worker(appeal, tpl.RECEIVED)
    return appeal


@transaction.atomic
def appeal_accept(
    *,
    appeal: Appeal,
    actor: Any,
    category: Category | None = None,
    urgency: str | None = None,
    version: int | None = None,
) -> Appeal:
    """待受理 → 待派单; intake may correct the category and urgency on the way. `actor=None` is the system
    (the smart module's automatic acceptance of a confidently classified appeal)."""
    appeal = c.lock(appeal)
    if actor is not None:
        c.require(actor, AppealsPerm.INTAKE, appeal)
    c.check(appeal, c.ACCEPT, version=version)
    changes: dict[str, Any] = {}
    if category is not None and category.pk != appeal.category_id:
        changes["category"] = [appeal.category_id, category.pk]
        appeal.category = category
    if urgency is not None and urgency != appeal.urgency:
        changes["urgency"] = [appeal.urgency, urgency]
        appeal.urgency = urgency
    from_state, appeal.state, appeal.accepted_at = appeal.state, State.ACCEPTED, timezone.now()
    c.record(
        appeal,
        actor=actor,
        actor_label=c.SYSTEM,
        action=c.ACCEPT,
        audit_action=AppealsAction.ACCEPTED,
        from_state=from_state,
        changes=changes,
    )
    return appeal


@transaction.atomic
def appeal_reject(*, appeal: Appeal, actor: Any, reason: str, version: int | None = None) -> Appeal:
    """不予受理 with a reason the worker is told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": gettext("Tell the worker why the appeal is not accepted.")})
    appeal = c.lock(appeal)
    c.require(actor, AppealsPerm.INTAKE, appeal)
    c.check(appeal, c.REJECT, version=version)
    from_state, appeal.state, appeal.closed_at = appeal.state, State.REJECTED, timezone.now()
    appeal.close_reason = reason
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.REJECT,
        audit_action=AppealsAction.REJECTED,
        from_state=from_state,
        note=reason,
    )
    c.sms_worker(appeal, tpl.REJECTED, reason=reason)
    return appeal


@transaction.atomic
def appeal_dispatch(
    *,
    appeal: Appeal,
    actor: Any,
    unit: Unit | None = None,
    note: str = "",
    version: int | None = None,
    system: bool = False,
) -> Appeal:
    """派单 to `unit` (default: the dispatch catalogue's unit); from 待签收 it is 转派 to another unit. The
    sign-for clock starts now. `actor=None, system=True` is the platform itself sending an appeal whose
    responsible unit is known by construction (a station report goes to the station's operator); a plain
    `actor=None` is refused, so a caller that lost its user cannot dispatch by accident."""
    appeal = c.lock(appeal)
    if not (system and actor is None):
        c.require(actor, AppealsPerm.DISPATCH, appeal)
    c.check(appeal, c.DISPATCH, version=version)
    if unit is None:
        unit = route(division=appeal.division, category=appeal.category)
        if unit is None:
            raise ValidationError(
                {"unit": gettext("No dispatch rule covers this place and category; choose a unit.")}
            )
    if not unit.is_active:
        raise ValidationError({"unit": gettext("This unit is no longer active.")})
    if appeal.state == State.DISPATCHED and unit.pk == appeal.unit_id:
        raise ValidationError({"unit": gettext("The appeal is already with this unit.")})
    previous_unit = appeal.unit_id
    now = timezone.now()
    from_state = appeal.state
    appeal.state, appeal.unit, appeal.dispatched_at = State.DISPATCHED, unit, now
    appeal.sign_due_at = c.clock_due(appeal, Clock.SIGN_FOR, now)
    c.record(
        appeal,
        actor=actor,
        actor_label=c.SYSTEM if actor is None else "",
        action=c.DISPATCH,
        audit_action=AppealsAction.DISPATCHED,
        from_state=from_state,
        note=note,
        changes={"unit": [previous_unit, unit.pk]},
    )
    c.notify_unit(appeal, unit.pk, tpl.UNIT_NEW, due=c.local_text(appeal.sign_due_at))
    return appeal


@transaction.atomic
def appeal_merge(*, appeal: Appeal, into: Appeal, actor: Any, version: int | None = None) -> Appeal:
    """已合并: `appeal` is a duplicate of the open appeal `into`; the worker is told to follow that one."""
    if appeal.pk == into.pk:
        raise ValidationError({"into": gettext("An appeal cannot be merged into itself.")})
    # Lock both rows in a fixed order so that two merges of the same pair cannot deadlock.
    first, second = sorted([appeal, into], key=lambda a: a.pk)
    locked = {a.pk: c.lock(a) for a in (first, second)}
    appeal, into = locked[appeal.pk], locked[into.pk]
    c.require(actor, AppealsPerm.INTAKE, appeal)
    if not has_perm_on(actor, AppealsPerm.VIEW, into):
        raise ValidationError({"into": gettext("No appeal with this number in your area.")})
    c.check(appeal, c.MERGE, version=version)
    c.check(into, c.MERGE_TARGET)
    from_state = appeal.state
    appeal.state, appeal.merged_into, appeal.closed_at = State.MERGED, into, timezone.now()
    c.record(
        appeal,
        actor=actor,
        actor_label="",
        action=c.MERGE,
        audit_action=AppealsAction.MERGED,
        from_state=from_state,
        note=into.tracking_no,
        changes={"into": into.tracking_no},
    )
    c.sms_worker(appeal, tpl.MERGED, original=into.tracking_no)
    return appeal


@transaction.atomic
def appeal_withdraw(
    *, appeal: Appeal, actor: Any = None, reason: str = "", version: int | None = None
) -> Appeal:
    """已撤回 by the worker (`actor=None`, phone verified by the caller) or by intake on the worker's word."""
    appeal = c.lock(appeal)
    c.require_staff_or_worker(actor, appeal)
    c.check(appeal, c.WITHDRAW, version=version)
    from_state, appeal.state, appeal.closed_at = appeal.state, State.WITHDRAWN, timezone.now()
    appeal.close_reason = (reason or "").strip()[:500]
    c.record(
        appeal,
        actor=actor,
        actor_label=c.WORKER,
        action=c.WITHDRAW,
        audit_action=AppealsAction.WITHDRAWN,
        from_state=from_state,
        note=appeal.close_reason,
    )
    if from_state in (State.DISPATCHED, State.IN_PROGRESS):
        c.notify_unit(appeal, appeal.unit_id, tpl.UNIT_WITHDRAWN)
    return appeal
