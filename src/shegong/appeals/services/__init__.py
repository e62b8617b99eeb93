"""Every write on appeals: one service per transition of appeals.md (keyword-only, atomic, row-locked,
checked against `TRANSITIONS`, with a timeline entry, an audit row and outbox notifications)."""

from shegong.appeals.routing import route
from shegong.appeals.services.common import TRANSITIONS, AppealConflict
from shegong.appeals.services.handling import (
    appeal_decide_extension,
    appeal_record_contact,
    appeal_reply,
    appeal_request_extension,
    appeal_return,
    appeal_sign_for,
)
from shegong.appeals.services.intake import (
    appeal_accept,
    appeal_dispatch,
    appeal_merge,
    appeal_reject,
    appeal_submit,
    appeal_withdraw,
)
from shegong.appeals.services.outcome import appeal_close_unrated, appeal_rate, appeal_supervise

__all__ = [
    "TRANSITIONS",
    "AppealConflict",
    "appeal_accept",
    "appeal_close_unrated",
    "appeal_decide_extension",
    "appeal_dispatch",
    "appeal_merge",
    "appeal_rate",
    "appeal_record_contact",
    "appeal_reject",
    "appeal_reply",
    "appeal_request_extension",
    "appeal_return",
    "appeal_sign_for",
    "appeal_submit",
    "appeal_supervise",
    "appeal_withdraw",
    "route",
]
