"""Supervision (督办), the worker's rating with 重办, closing unrated appeals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shegong.appeals import notifications as tpl
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm, Clock, Satisfaction, State
from shegong.appeals.limits import UNRATED_CLOSE_AFTER
from shegong.appeals.models import Appeal, Supervision
from shegong.appeals.services import common as c
from shegong.core import calendar
from shegong.divisions.models import Division

# The worker is dissatisfied or the problem is not solved: 重办.
_FAILED = frozenset({Satisfaction.DISSATISFIED})


def _level_above(appeal: Appeal) -> Division:
    division = appeal.division
    return division.parent if division.parent_id else division  # type: ignore[return-value]


@transaction.atomic
def appeal_supervise(
    *,
    appeal: Appeal,
    actor: Any,
    note: str,
    deadline: dt.datetime | None = None,
    level: Division | None = None,
    version: int | None = None,
) -> Supervision:
    """督办: a supervisor flags an open appeal with a deadline (default: one working day from now); it is
    recorded at `level` (default: the level above the appeal's division) and counted. `actor=None` is the
    worker process's SLA sweep (a breach escalated to 督办)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": gettext("Say what the unit must do.")})
    appeal = c.lock(appeal)
    if actor is not None:  # None: the SLA sweep escalating a breached clock
        c.require(actor, AppealsPerm.SUPERVISE, appeal)
    c.check(appeal, c.SUPERVISE, version=version)
    now = timezone.now()
    deadline = deadline or calendar.add_working_days(now, 1)
    if deadline <= now:
        raise ValidationError({"deadline": gettext("The deadline must be in the future.")})
    supervision = Supervision.objects.create(
        appeal=appeal, by=actor, level=level or _level_above(appeal), note=note[:500], deadline=deadline
    )
    appeal.supervised = True
    c.record(
        appeal,
        actor=actor,
        actor_label=c.SYSTEM,
        action=c.SUPERVISE,
        audit_action=AppealsAction.SUPERVISED,
        from_state=appeal.state,
        note=note,
        public=False,
        changes={"deadline": deadline.isoformat()},
    )
    c.notify_unit(appeal, appeal.unit_id, tpl.SUPERVISED, due=c.local_text(deadline))
    return supervision


@transaction.atomic
def appeal_rate(
    *,
    appeal: Appeal,
    actor: Any = None,
    resolved: bool,
    satisfaction: str,
    comment: str = "",
    version: int | None = None,
) -> Appeal:
    """回访 and 评价 by the worker (`actor=None`) or recorded by a hotline operator. 满意/基本满意 and
    resolved close the appeal (已办结). 不满意 or unresolved sends it back to the same unit (重办, 办理中,
    supervised, a new handling clock); a second failure also goes to the level above as a 督办 record."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": gettext("Choose how satisfied the worker is.")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": gettext("The comment is longer than 500 characters.")})
    appeal = c.lock(appeal)
    c.require_staff_or_worker(actor, appeal)
    c.check(appeal, c.RATE, version=version)
    now = timezone.now()
    from_state = appeal.state
    rating = {"resolved": resolved, "satisfaction": satisfaction}
    if not appeal.first_satisfaction:
        appeal.first_resolved, appeal.first_satisfaction = resolved, satisfaction
    if resolved and satisfaction not in _FAILED:
        appeal.state, appeal.closed_at = State.CLOSED, now
        appeal.resolved, appeal.satisfaction, appeal.rating_comment = resolved, satisfaction, comment
        c.record(
            appeal,
            actor=actor,
            actor_label=c.WORKER,
            action=c.RATE,
            audit_action=AppealsAction.RATED,
            from_state=from_state,
            note=comment,
            changes=rating,
        )
        return appeal
    appeal.state, appeal.supervised, appeal.redo_count = State.IN_PROGRESS, True, appeal.redo_count + 1
    appeal.revisit_due_at = None
    appeal.handle_due_at = c.clock_due(appeal, Clock.HANDLE, now)
    c.record(
        appeal,
        actor=actor,
        actor_label=c.WORKER,
        action=c.REDO,
        audit_action=AppealsAction.REDO,
        from_state=from_state,
        note=comment,
        changes={**rating, "redo_count": appeal.redo_count},
    )
    if appeal.redo_count >= 2:
        Supervision.objects.create(
            appeal=appeal,
            by=None,
            level=_level_above(appeal),
            note=gettext("Rated unresolved or unsatisfactory a second time."),
            deadline=appeal.handle_due_at,
        )
    c.notify_unit(appeal, appeal.unit_id, tpl.REDO)
    return appeal


@transaction.atomic
def appeal_close_unrated(*, appeal: Appeal, actor: Any = None) -> Appeal:
    """已办结 (未评价): nobody rated the reply within the revisit window; run by the worker process
    (`actor=None`) or by intake. Resolved stays unknown."""
    appeal = c.lock(appeal)
    c.require_staff_or_worker(actor, appeal)
    c.check(appeal, c.CLOSE_UNRATED)
    now = timezone.now()
    if now < (appeal.replied_at or now) + UNRATED_CLOSE_AFTER:
        raise c.AppealConflict(gettext("The worker can still rate this reply; it is closed after 7 days."))
    from_state, appeal.state, appeal.closed_at = appeal.state, State.CLOSED, now
    c.record(
        appeal,
        actor=actor,
        actor_label=c.SYSTEM,
        action=c.CLOSE_UNRATED,
        audit_action=AppealsAction.CLOSED_UNRATED,
        from_state=from_state,
    )
    return appeal
