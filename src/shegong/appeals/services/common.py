"""What every appeal transition shares: the transition table, the row lock, permission checks, the timeline
entry, the audit row and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm, State
from shegong.appeals.limits import due
from shegong.appeals.models import Appeal, AppealEvent
from shegong.core import audit, notify, permissions
from shegong.core.api import ConflictError
from shegong.core.scoping import has_perm_on

# Action names used in the transition table and stored on timeline entries.
SUBMIT = "submit"
ACCEPT = "accept"
REJECT = "reject"
DISPATCH = "dispatch"
RETURN = "return"
SIGN_FOR = "sign_for"
CONTACT = "record_contact"
REPLY = "reply"
REQUEST_EXTENSION = "request_extension"
DECIDE_EXTENSION = "decide_extension"
SUPERVISE = "supervise"
RATE = "rate"
REDO = "redo"
CLOSE_UNRATED = "close_unrated"
MERGE = "merge"
MERGE_TARGET = "merge_target"
WITHDRAW = "withdraw"

# state → the actions allowed from it (appeals.md, "States" and the transitions beside the main line).
TRANSITIONS: dict[str, frozenset[str]] = {
    State.SUBMITTED: frozenset({ACCEPT, REJECT, MERGE, MERGE_TARGET, WITHDRAW, SUPERVISE}),
    State.ACCEPTED: frozenset({DISPATCH, REJECT, MERGE, MERGE_TARGET, WITHDRAW, SUPERVISE}),
    # DISPATCH from dispatched is 转派: the dispatcher sends it elsewhere before anyone signed for it.
    State.DISPATCHED: frozenset({DISPATCH, RETURN, SIGN_FOR, MERGE_TARGET, WITHDRAW, SUPERVISE}),
    State.IN_PROGRESS: frozenset(
        {CONTACT, REPLY, REQUEST_EXTENSION, DECIDE_EXTENSION, MERGE_TARGET, WITHDRAW, SUPERVISE}
    ),
    State.REPLIED: frozenset({RATE, CLOSE_UNRATED, MERGE_TARGET, SUPERVISE}),
    State.CLOSED: frozenset(),
    State.REJECTED: frozenset(),
    State.MERGED: frozenset(),
    State.WITHDRAWN: frozenset(),
}

WORKER = "worker"  # actor_label of the worker's own actions (no account)
SYSTEM = "system"  # actor_label of the worker process's actions

# Sent by every transition once its timeline entry and audit row are written, inside the transition's
# transaction, with sender=Appeal and keyword arguments appeal, action (the names above), actor (None for
# the worker, a platform or the system), from_state ("" when filed) and changes. Other modules (smart:
# suggestions and dispatcher corrections) listen instead of the services calling them. A receiver runs
# inside the transaction: an exception it lets out rolls the transition back, so it writes only rows that
# belong with the transition (in a savepoint, errors caught) or defers its work with transaction.on_commit.
appeal_transitioned = Signal()


class AppealConflict(ConflictError):
    """The action is not possible in the appeal's current state (often: someone else acted first).
    Pages show the message; the API answers 409."""

    def __init__(self, message: Any = None) -> None:
        super().__init__(
            message
            or _(
                "This appeal has changed in the meantime and the action is no longer possible. "
                "Reload the page to see its current state."
            ),
            code="conflict",
        )


def lock(appeal: Appeal) -> Appeal:
    """The appeal's row, re-read and locked until the end of the transaction (PostgreSQL: SELECT … FOR
    UPDATE; SQLite serialises writers anyway)."""
    return Appeal.all_objects.select_for_update().get(pk=appeal.pk)


def check(appeal: Appeal, action: str, *, version: int | None = None) -> None:
    if version is not None and version != appeal.version:
        raise AppealConflict
    if action not in TRANSITIONS[appeal.state]:
        raise AppealConflict(
            gettext("The appeal is now “{state}”; this action is not possible in that state.").format(
                state=State(appeal.state).label
            )
        )


def require(actor: Any, perm: str, appeal: Appeal) -> None:
    if actor is None or not has_perm_on(actor, perm, appeal):
        raise PermissionDenied


def require_staff_or_worker(actor: Any, appeal: Appeal) -> None:
    """Worker-side actions: `actor=None` is the worker (the page or API verified the phone); staff act on
    the worker's behalf (hotline) with the intake permission."""
    if actor is not None:
        require(actor, AppealsPerm.INTAKE, appeal)


def handler_unit_ids(actor: Any, perm: str = AppealsPerm.HANDLE) -> dict[int, list[str]]:
    """Units the actor works for under `perm`: unit id → the division prefixes of those grants."""
    units: dict[int, list[str]] = {}
    for grant in actor.active_grants():
        if grant.unit_id and perm in permissions.perms_of_role(grant.role):
            units.setdefault(grant.unit_id, []).append(grant.prefix)
    return units


def require_handler(actor: Any, appeal: Appeal) -> None:
    """A handler acts only on appeals dispatched to their own unit, inside their grant's division."""
    require(actor, AppealsPerm.HANDLE, appeal)
    prefixes = handler_unit_ids(actor).get(appeal.unit_id or -1, [])
    if not any(str(appeal.division_id).startswith(p) for p in prefixes):
        raise PermissionDenied


def label_of(actor: Any, default: str) -> str:
    return actor.get_username() if actor is not None else default


def record(
    appeal: Appeal,
    *,
    actor: Any,
    actor_label: str,
    action: str,
    audit_action: AppealsAction,
    from_state: str,
    note: str = "",
    public: bool = True,
    changes: dict[str, Any] | None = None,
) -> AppealEvent:
    """Save the appeal (validated, version bumped), append its timeline entry and write the audit row."""
    appeal.version += 1
    appeal.full_clean()
    appeal.save()
    event = AppealEvent.objects.create(
        appeal=appeal,
        actor=actor,
        actor_label=label_of(actor, actor_label),
        action=action,
        from_state=from_state,
        to_state=appeal.state,
        note=note,
        public=public,
    )
    audit.record(
        action=audit_action,
        actor=actor,
        actor_label="" if actor is not None else actor_label,
        target=appeal,
        changes={"from": from_state, "to": appeal.state, **(changes or {})},
    )
    announce(appeal, action=action, actor=actor, from_state=from_state, changes=changes)
    return event


def announce(
    appeal: Appeal, *, action: str, actor: Any, from_state: str, changes: dict[str, Any] | None = None
) -> None:
    """Tell the listeners of `appeal_transitioned` (see there) that `action` has been recorded."""
    appeal_transitioned.send(
        sender=Appeal, appeal=appeal, action=action, actor=actor, from_state=from_state, changes=changes or {}
    )


def local_text(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def sms_worker(appeal: Appeal, template: str, **context: Any) -> None:
    if appeal.phone:
        notify.enqueue(
            channel="sms",
            recipient=appeal.phone,
            template=template,
            context={"number": appeal.tracking_no, **context},
            dedupe_key=f"appeal:{appeal.pk}:v{appeal.version}:{template}",
        )


def notify_unit(appeal: Appeal, unit_id: int | None, template: str, **context: Any) -> None:
    if unit_id is not None:
        notify.enqueue(
            channel="in_app",
            recipient=f"unit:{unit_id}",
            template=template,
            context={"number": appeal.tracking_no, **context},
            dedupe_key=f"appeal:{appeal.pk}:v{appeal.version}:{template}:unit{unit_id}",
        )


def clock_due(appeal: Appeal, clock: str, start: dt.datetime) -> dt.datetime:
    return due(clock=clock, urgency=appeal.urgency, category=appeal.category, start=start)


def unit_name(appeal: Appeal) -> str:
    return appeal.unit.name if appeal.unit is not None else ""
