"""The deadlines shown on the desk: which clock runs in which state, and whether it has run out. The rules
mirror `filtering.overdue_q`, so a row marked overdue here is one the overdue queue lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.functional import Promise

from shegong.appeals.choices import Clock, State
from shegong.appeals.models import Appeal

# clock, its deadline column, the column recording that it was met, the state in which it runs
_CLOCKS = (
    (Clock.SIGN_FOR, "sign_due_at", "signed_at", State.DISPATCHED),
    (Clock.FIRST_CONTACT, "contact_due_at", "first_contact_at", State.IN_PROGRESS),
    (Clock.HANDLE, "handle_due_at", "replied_at", State.IN_PROGRESS),
    (Clock.REVISIT, "revisit_due_at", "closed_at", State.REPLIED),
)


@dataclass(frozen=True)
class ClockView:
    clock: str
    label: str | Promise
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    running: bool
    overdue: bool


def _running(appeal: Appeal, clock: str, state: str) -> bool:
    if appeal.state != state:
        return False
    return not (clock == Clock.FIRST_CONTACT and appeal.first_contact_at is not None)


def clocks_of(appeal: Appeal, now: dt.datetime) -> list[ClockView]:
    """Every clock that has a deadline on this appeal, in the order they run."""
    views = []
    for clock, due_field, done_field, state in _CLOCKS:
        due_at = getattr(appeal, due_field)
        if due_at is None:
            continue
        running = _running(appeal, clock, state)
        views.append(
            ClockView(
                clock=clock,
                label=Clock(clock).label,
                due_at=due_at,
                done_at=getattr(appeal, done_field),
                running=running,
                overdue=running and due_at < now,
            )
        )
    return views


def current_due(appeal: Appeal) -> dt.datetime | None:
    """The earliest deadline among the clocks running now."""
    dues = [
        getattr(appeal, due_field)
        for clock, due_field, _done, state in _CLOCKS
        if _running(appeal, clock, state) and getattr(appeal, due_field) is not None
    ]
    return min(dues, default=None)


def is_overdue(appeal: Appeal, now: dt.datetime) -> bool:
    due = current_due(appeal)
    return due is not None and due < now
