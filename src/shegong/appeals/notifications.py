"""Notification templates of the appeals module (core.notify); placeholders are named, msgids English."""

from django.utils.translation import gettext_lazy as _

from shegong.core import notify

RECEIVED = "appeals.received"
REJECTED = "appeals.rejected"
UNIT_NEW = "appeals.unit_new"
RETURNED = "appeals.returned"
SIGNED = "appeals.signed"
REPLIED = "appeals.replied"
EXTENDED = "appeals.extended"
REDO = "appeals.redo"
SUPERVISED = "appeals.supervised"
CLOSED = "appeals.closed"
MERGED = "appeals.merged"
UNIT_WITHDRAWN = "appeals.unit_withdrawn"
SLA_WARNING = "appeals.sla_warning"
SLA_REMINDER = "appeals.sla_reminder"
SLA_URGE = "appeals.sla_urge"


def register_templates() -> None:
    notify.register_template(
        RECEIVED, _("Your appeal {number} was received. Use this number to follow its progress.")
    )
    notify.register_template(REJECTED, _("Your appeal {number} was not accepted: {reason}"))
    notify.register_template(
        UNIT_NEW, _("Appeal {number} was dispatched to your unit; sign for it by {due}.")
    )
    notify.register_template(RETURNED, _("Appeal {number} was returned by {unit}: {reason}"))
    notify.register_template(SIGNED, _("Your appeal {number} is being handled by {unit}."))
    notify.register_template(
        REPLIED, _("Your appeal {number} has a reply from {unit}. Please rate whether it was resolved.")
    )
    notify.register_template(
        EXTENDED, _("Handling of your appeal {number} was extended by {days} working days, until {due}.")
    )
    notify.register_template(
        REDO, _("Appeal {number} was rated unresolved or unsatisfactory; handle it again.")
    )
    notify.register_template(SUPERVISED, _("Appeal {number} is under supervision; deadline {due}."))
    notify.register_template(CLOSED, _("Your appeal {number} is closed. Thank you."))
    notify.register_template(
        MERGED, _("Your appeal {number} is handled together with appeal {original}; follow that number.")
    )
    notify.register_template(
        UNIT_WITHDRAWN, _("Appeal {number} was withdrawn by the worker; no further handling is needed.")
    )
    notify.register_template(
        SLA_WARNING, _("Appeal {number}: the clock '{clock}' runs out at {due}; most of the time is used up.")
    )
    notify.register_template(
        SLA_REMINDER,
        _("Appeal {number}: the clock '{clock}' ran out at {due}; it is overdue. Please act now."),
    )
    notify.register_template(
        SLA_URGE,
        _(
            "Urgent notice: appeal {number} with {unit} is overdue (the clock '{clock}' ran out at {due}). "
            "Please see that it is handled."
        ),
    )
