"""Words for the timeline: what each stored action name means and who the actor was."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shegong.appeals.models import AppealEvent
from shegong.appeals.services import common as c

EVENT_LABELS: dict[str, Promise] = {
    c.SUBMIT: _("Filed"),
    c.ACCEPT: _("Accepted"),
    c.REJECT: _("Not accepted"),
    c.DISPATCH: _("Dispatched"),
    c.RETURN: _("Returned by the unit"),
    c.SIGN_FOR: _("Signed for"),
    c.CONTACT: _("Contact with the worker"),
    c.REPLY: _("Replied"),
    c.REQUEST_EXTENSION: _("Extension requested"),
    c.DECIDE_EXTENSION: _("Extension decided"),
    c.SUPERVISE: _("Put under supervision"),
    c.RATE: _("Rated"),
    c.REDO: _("Sent back for redo"),
    c.CLOSE_UNRATED: _("Closed without a rating"),
    c.MERGE: _("Merged"),
    c.WITHDRAW: _("Withdrawn"),
}

_ACTOR_LABELS: dict[str, Promise] = {c.WORKER: _("The worker"), c.SYSTEM: _("The system")}


def event_label(action: str) -> str | Promise:
    return EVENT_LABELS.get(action, action)


def actor_label(event: AppealEvent) -> str | Promise:
    """Staff by their real name (account name as a fallback); the worker and the system by role; a
    platform's API token by the label it was stored with."""
    if event.actor is not None:
        return getattr(event.actor, "real_name", "") or event.actor.get_username()
    return _ACTOR_LABELS.get(event.actor_label, event.actor_label)
