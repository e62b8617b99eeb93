"""The appeal's progress told to the worker in plain words.

Each public timeline entry the services write (`AppealEvent.action`, see services/common.py) becomes one
sentence. The entry's note is shown only where it is meant for the worker (the reason for not accepting,
which unit returned it and why, the reply, their own comment or reason) and only on the full view —
someone who knows just the tracking number sees the sentences, never the notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from shegong.appeals.choices import State
from shegong.appeals.models import AppealEvent
from shegong.appeals.services import common as c

# Actions whose note was written for the worker to read.
_WORKER_NOTES = frozenset({c.REJECT, c.RETURN, c.REPLY, c.RATE, c.REDO, c.WITHDRAW, c.MERGE})


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    text: str
    note: str
    action: str


def _by_worker(event: AppealEvent) -> bool:
    return event.actor_id is None and event.actor_label == c.WORKER


def sentence(event: AppealEvent, *, full: bool) -> str:
    """One plain sentence for a timeline entry."""
    action = event.action
    if action == c.SUBMIT:
        return _("You submitted the appeal.") if _by_worker(event) else _("Your appeal was registered.")
    if action == c.ACCEPT:
        return _("The appeal was accepted and is waiting to be sent to the unit responsible.")
    if action == c.REJECT:
        return _("The appeal was not accepted.")
    if action == c.DISPATCH:
        if event.from_state == State.DISPATCHED:
            return _("The appeal was passed on to another responsible unit.")
        return _("The appeal was sent to the responsible unit.")
    if action == c.RETURN:
        return _("The unit sent the appeal back as not theirs to handle; it will be sent to the right unit.")
    if action == c.SIGN_FOR:
        return _("The responsible unit took on the appeal and is handling it.")
    if action == c.CONTACT:
        return _("The responsible unit contacted you.")
    if action == c.REPLY:
        return _("The responsible unit replied. Please tell us whether the problem was solved.")
    if action == c.DECIDE_EXTENSION:
        return _("The responsible unit was given more time to handle the appeal.")
    if action == c.RATE:
        return _("You rated the result; the appeal is closed.")
    if action == c.REDO:
        return _(
            "You rated the result as not solved or not satisfactory; the appeal went back to the unit to be "
            "handled again, under supervision."
        )
    if action == c.CLOSE_UNRATED:
        return _("The appeal was closed without a rating.")
    if action == c.MERGE:
        if full and event.note:
            return _(
                "The appeal is handled together with appeal {number}; please follow that number."
            ).format(number=event.note)
        return _("The appeal is handled together with another appeal on the same matter.")
    if action == c.WITHDRAW:
        return (
            _("You withdrew the appeal.")
            if _by_worker(event)
            else _("The appeal was withdrawn at your request.")
        )
    if event.to_state:
        return _("The appeal is now “{state}”.").format(state=State(event.to_state).label)
    return _("The appeal was updated.")


def steps(events: list[AppealEvent], *, full: bool) -> list[Step]:
    """The worker's timeline, oldest first; `full` only for the phone that filed the appeal."""
    out = []
    for event in events:
        note = event.note if full and event.action in _WORKER_NOTES and event.action != c.MERGE else ""
        out.append(Step(at=event.at, text=sentence(event, full=full), note=note, action=event.action))
    return out
