"""The actions of the detail page: which exist, who may take them in which state, and the service each
one calls with its form's data. The view posting them is `detail.desk_action`.

An action shows only when the user may take it on this appeal and the appeal's state allows it
(`TRANSITIONS`, plus `applies` for conditions beyond the state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shegong.appeals import services as s
from shegong.appeals.choices import AppealsPerm, Channel, ExtensionStatus, State
from shegong.appeals.desk import forms as f
from shegong.appeals.desk.access import is_unit_handler
from shegong.appeals.models import Appeal
from shegong.appeals.services import common as c
from shegong.core.scoping import has_perm_on


def _holds(perm: str) -> Callable[[Any, Appeal], bool]:
    return lambda user, appeal: has_perm_on(user, perm, appeal)


def _rates_for_hotline(user: Any, appeal: Appeal) -> bool:
    # H5/API workers rate online themselves; a hotline caller is revisited by phone and intake records it.
    return appeal.channel == Channel.HOTLINE and has_perm_on(user, AppealsPerm.INTAKE, appeal)


def _extension_pending(appeal: Appeal) -> bool:
    return appeal.extension_used and appeal.extension_requests.filter(status=ExtensionStatus.PENDING).exists()


@dataclass(frozen=True)
class Action:
    slug: str
    transition: str  # the action's name in TRANSITIONS
    label: Promise
    form_class: type[f.ActionForm]
    may: Callable[[Any, Appeal], bool]
    run: Callable[[Any, Appeal, Any], Promise | str]  # (form, appeal, user) → success message
    confirm: Promise | None = None  # asked before submitting (destructive actions)
    applies: Callable[[Appeal], bool] = lambda appeal: True  # conditions beyond the state
    danger: bool = False


def _accept(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_accept(
        appeal=appeal, actor=user, category=d["category"], urgency=d["urgency"], version=d["version"]
    )
    return _("Appeal accepted; it now waits for dispatch.")


def _reject(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_reject(appeal=appeal, actor=user, reason=d["reason"], version=d["version"])
    return _("Appeal not accepted; the worker is told the reason.")


def _dispatch(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_dispatch(appeal=appeal, actor=user, unit=d["unit"], note=d["note"], version=d["version"])
    return gettext("Appeal dispatched to {unit}.").format(unit=d["unit"].name)


def _return(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_return(appeal=appeal, actor=user, reason=d["reason"], note=d["note"], version=d["version"])
    return _("Appeal returned to the dispatcher.")


def _sign_for(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    s.appeal_sign_for(appeal=appeal, actor=user, version=form.cleaned_data["version"])
    return _("Appeal signed for; contact the worker and handle it before the deadline.")


def _contact(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_record_contact(appeal=appeal, actor=user, note=d["note"], version=d["version"])
    return _("Contact with the worker recorded.")


def _reply(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_reply(appeal=appeal, actor=user, text=d["text"], resolved=d["resolved"], version=d["version"])
    return _("Reply sent to the worker.")


def _request_extension(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_request_extension(
        appeal=appeal, actor=user, days=d["days"], reason=d["reason"], version=d["version"]
    )
    return _("Extension requested; a supervisor decides.")


def _decide_extension(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    if form.pending is None:
        raise c.AppealConflict(gettext("There is no extension request waiting for a decision."))
    approve = d["decision"] == "approve"
    s.appeal_decide_extension(
        request=form.pending, actor=user, approve=approve, note=d["note"], version=d["version"]
    )
    return _("Extension approved; the deadline has moved.") if approve else _("Extension refused.")


def _supervise(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_supervise(
        appeal=appeal, actor=user, note=d["note"], deadline=d["deadline"], version=d["version"]
    )
    return _("Appeal put under supervision.")


def _merge(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_merge(appeal=appeal, into=d["into"], actor=user, version=d["version"])
    return gettext("Appeal merged into {number}.").format(number=d["into"].tracking_no)


def _rate(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    done = s.appeal_rate(
        appeal=appeal,
        actor=user,
        resolved=d["resolved"],
        satisfaction=d["satisfaction"],
        comment=d["comment"],
        version=d["version"],
    )
    if done.state == State.CLOSED:
        return _("Rating recorded; the appeal is closed.")
    return _("Rating recorded; the appeal goes back to the unit for redo.")


def _withdraw(form: Any, appeal: Appeal, user: Any) -> Promise | str:
    d = form.cleaned_data
    s.appeal_withdraw(appeal=appeal, actor=user, reason=d["reason"], version=d["version"])
    return _("Appeal withdrawn on the worker's request.")


ACTIONS: dict[str, Action] = {
    a.slug: a
    for a in (
        Action("accept", c.ACCEPT, _("Accept"), f.AcceptForm, _holds(AppealsPerm.INTAKE), _accept),
        Action(
            "dispatch", c.DISPATCH, _("Dispatch"), f.DispatchForm, _holds(AppealsPerm.DISPATCH), _dispatch
        ),
        Action("sign-for", c.SIGN_FOR, _("Sign for"), f.SignForForm, is_unit_handler, _sign_for),
        Action(
            "return",
            c.RETURN,
            _("Return to the dispatcher"),
            f.ReturnForm,
            is_unit_handler,
            _return,
            confirm=_("Return this appeal to the dispatcher?"),
        ),
        Action("contact", c.CONTACT, _("Record contact"), f.ContactForm, is_unit_handler, _contact),
        Action("reply", c.REPLY, _("Reply"), f.ReplyForm, is_unit_handler, _reply),
        Action(
            "request-extension",
            c.REQUEST_EXTENSION,
            _("Request an extension"),
            f.ExtensionRequestForm,
            is_unit_handler,
            _request_extension,
            applies=lambda appeal: not appeal.extension_used,
        ),
        Action(
            "decide-extension",
            c.DECIDE_EXTENSION,
            _("Decide the extension"),
            f.ExtensionDecisionForm,
            _holds(AppealsPerm.SUPERVISE),
            _decide_extension,
            applies=_extension_pending,
        ),
        Action(
            "supervise",
            c.SUPERVISE,
            _("Supervise"),
            f.SuperviseForm,
            _holds(AppealsPerm.SUPERVISE),
            _supervise,
        ),
        Action(
            "rate",
            c.RATE,
            _("Record the revisit and rating"),
            f.RateForm,
            _rates_for_hotline,
            _rate,
        ),
        Action(
            "merge",
            c.MERGE,
            _("Merge into another appeal"),
            f.MergeForm,
            _holds(AppealsPerm.INTAKE),
            _merge,
            confirm=_("Close this appeal as a duplicate of the other one?"),
            danger=True,
        ),
        Action(
            "reject",
            c.REJECT,
            _("Do not accept"),
            f.RejectForm,
            _holds(AppealsPerm.INTAKE),
            _reject,
            confirm=_("Close this appeal as not accepted? The worker is told the reason."),
            danger=True,
        ),
        Action(
            "withdraw",
            c.WITHDRAW,
            _("Withdraw for the worker"),
            f.WithdrawForm,
            _holds(AppealsPerm.INTAKE),
            _withdraw,
            confirm=_("Withdraw this appeal on the worker's request?"),
            danger=True,
        ),
    )
}


def available(user: Any, appeal: Appeal) -> list[Action]:
    """The actions to offer: permitted to this user on this appeal, and possible in its state."""
    allowed = c.TRANSITIONS[appeal.state]
    return [
        a for a in ACTIONS.values() if a.transition in allowed and a.applies(appeal) and a.may(user, appeal)
    ]


def make_form(action: Action, appeal: Appeal, user: Any, data: Any = None) -> f.ActionForm:
    return action.form_class(data, appeal=appeal, user=user, slug=action.slug)
