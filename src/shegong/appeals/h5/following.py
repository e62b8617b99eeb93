"""Following an appeal from the phone: the phone check, tracking by number, "my appeals", the detail
page with the progress in plain words, rating (回访评价, which can send it back: 重办) and withdrawal.

Who sees what (docs/appeals-h5.md): the phone that filed the appeal, proved by a one-time code in this
session, sees everything and may rate and withdraw; someone who only knows the tracking number sees the
state and the plain-words progress, never the text, the place, the photos, the notes or the phone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shegong.appeals.choices import CLOSED_STATES, OPEN_STATES, State
from shegong.appeals.files.views import attachment_response
from shegong.appeals.h5 import otp, timeline
from shegong.appeals.h5.forms import RateForm, SendCodeForm, TrackForm, VerifyForm, WithdrawForm
from shegong.appeals.h5.selectors import (
    TooManyLookups,
    appeal_by_tracking_no,
    my_appeal,
    my_appeals,
    my_attachment,
)
from shegong.appeals.models import Appeal
from shegong.appeals.selectors import appeal_timeline
from shegong.appeals.services import TRANSITIONS, AppealConflict, appeal_rate, appeal_withdraw
from shegong.appeals.services import common as c
from shegong.appeals.verified import forget, verified_phone
from shegong.core.phone_verification import VerificationError
from shegong.core.pii import mask_phone
from shegong.divisions.selectors import division_ancestors

PAGE_SIZE = 10


def _masked(request: HttpRequest) -> str:
    phone = verified_phone(request)
    return mask_phone(phone) if phone else ""


def _safe_next(request: HttpRequest) -> str:
    value = request.POST.get("next") or request.GET.get("next") or ""
    if value.startswith("/h5/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("appeals:h5_mine")


def _verify_first(request: HttpRequest, next_url: str) -> HttpResponse:
    messages.info(request, _("Please confirm your phone number first."))
    return redirect(f"{reverse('appeals:h5_verify')}?{urlencode({'next': next_url})}")


def _detail_url(appeal: Appeal) -> str:
    return reverse("appeals:h5_detail", kwargs={"tracking_no": appeal.tracking_no})


def _too_many_lookups(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "appeals/h5/track.html",
        {
            "form": TrackForm(),
            "verified_phone": _masked(request),
            "lookup_error": _(
                "Too many tracking numbers were tried from this network. Please try again later."
            ),
        },
        status=429,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """验证手机号: send a code (also the htmx target of the filing form's button), then check it."""
    next_url = _safe_next(request)
    countdown = 0
    if request.method == "POST" and request.POST.get("action") == "send":
        sender = SendCodeForm(request.POST)
        if sender.is_valid():
            result = otp.send(request, sender.cleaned_data["phone"])
        else:
            result = otp.SendResult(False, str(sender.errors["phone"][0]))
        countdown = otp.RESEND_SECONDS if result.sent else 0
        if request.headers.get("HX-Request"):
            return render(request, "appeals/h5/_otp_status.html", {"result": result, "countdown": countdown})
        (messages.success if result.sent else messages.error)(request, result.message)
        form = VerifyForm(initial={"phone": request.POST.get("phone", "")})
    elif request.method == "POST":
        form = VerifyForm(request.POST)
        if form.is_valid():
            try:
                otp.check(request, form.cleaned_data["phone"], form.cleaned_data["code"])
            except VerificationError as exc:
                form.add_error("code", exc.messages[0])
            else:
                messages.success(request, _("Your phone number is confirmed."))
                return redirect(next_url)
    else:
        form = VerifyForm()
    return render(
        request,
        "appeals/h5/verify.html",
        {
            "form": form,
            "next": next_url,
            "countdown": countdown,
            "resend_seconds": otp.RESEND_SECONDS,
            "verified_phone": _masked(request),
        },
    )


@require_POST
def forget_phone(request: HttpRequest) -> HttpResponse:
    """退出: this phone (a shared one, say) no longer shows the worker's appeals."""
    forget(request)
    messages.success(request, _("You have left. This phone no longer shows your appeals."))
    return redirect("h5:home")


@never_cache
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """查询进度: by tracking number, or "my appeals" for the verified phone."""
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        number = form.cleaned_data["no"]
        appeal = my_appeal(request, number)
        if appeal is None:
            try:
                appeal = appeal_by_tracking_no(request, number)
            except TooManyLookups:
                return _too_many_lookups(request)
        if appeal is not None:
            return redirect(_detail_url(appeal))
        form.add_error("no", _("No appeal has this tracking number. Please check it against the SMS."))
    return render(request, "appeals/h5/track.html", {"form": form, "verified_phone": _masked(request)})


@never_cache
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的诉求: every appeal filed with the verified phone."""
    if verified_phone(request) is None:
        return _verify_first(request, reverse("appeals:h5_mine"))
    status = request.GET.get("status", "")
    appeals = my_appeals(request)
    if status == "open":
        appeals = appeals.filter(state__in=OPEN_STATES)
    elif status == "closed":
        appeals = appeals.filter(state__in=CLOSED_STATES)
    else:
        status = ""
    page = Paginator(appeals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appeals/h5/mine.html",
        {"page_obj": page, "status": status, "verified_phone": _masked(request)},
    )


def _detail(request: HttpRequest, appeal: Appeal, *, full: bool, **extra: Any) -> HttpResponse:
    events = appeal_timeline(appeal=appeal, public_only=True)
    context: dict[str, Any] = {
        "appeal": appeal,
        "full": full,
        "steps": timeline.steps(events, full=full),
        "verified_phone": _masked(request),
        "verify_url": f"{reverse('appeals:h5_verify')}?{urlencode({'next': _detail_url(appeal)})}",
    }
    if full:
        context.update(
            photos=list(appeal.attachments.all()),
            places=[*division_ancestors(appeal.division), appeal.division],
            phone=mask_phone(appeal.phone),
            can_rate=appeal.state == State.REPLIED,
            can_withdraw=c.WITHDRAW in TRANSITIONS[appeal.state],
            merged_into=appeal.merged_into.tracking_no if appeal.merged_into_id else "",  # type: ignore[union-attr]
        )
        if context["can_rate"]:
            context["rate_form"] = extra.pop("rate_form", None) or RateForm(
                initial={"version": appeal.version}
            )
    context.update(extra)
    return render(request, "appeals/h5/detail.html", context)


@never_cache
@require_GET
def detail(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """诉求详情: everything for the phone that filed it; state and progress for a tracking number."""
    appeal = my_appeal(request, tracking_no)
    if appeal is not None:
        return _detail(request, appeal, full=True)
    try:
        appeal = appeal_by_tracking_no(request, tracking_no)
    except TooManyLookups:
        return _too_many_lookups(request)
    if appeal is None:
        raise Http404
    return _detail(request, appeal, full=False)


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@never_cache
@require_POST
def rate(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """评价: 已解决/未解决 and 满意/基本满意/不满意; 未解决 or 不满意 sends the appeal back (重办)."""
    appeal = my_appeal(request, tracking_no)
    if appeal is None:
        return _verify_first(request, reverse("appeals:h5_detail", kwargs={"tracking_no": tracking_no}))
    form = RateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            appeal = appeal_rate(
                appeal=appeal,
                actor=None,
                resolved=data["resolved"] == "yes",
                satisfaction=data["satisfaction"],
                comment=data["comment"],
                version=data["version"],
            )
        except AppealConflict as exc:
            # Someone acted first (or the page is old): show the appeal as it is now, with the reason.
            messages.error(request, exc.messages[0])
            return redirect(_detail_url(appeal))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if appeal.state == State.CLOSED:
                messages.success(request, _("Thank you for your rating. The appeal is closed."))
            else:
                messages.warning(
                    request,
                    _(
                        "Sorry that the problem is not solved. The appeal went back to the unit to be "
                        "handled again, under supervision."
                    ),
                )
            return redirect(_detail_url(appeal))
    appeal.refresh_from_db()
    return _detail(request, appeal, full=True, rate_form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """撤回: GET asks for confirmation, POST withdraws."""
    appeal = my_appeal(request, tracking_no)
    if appeal is None:
        return _verify_first(request, reverse("appeals:h5_detail", kwargs={"tracking_no": tracking_no}))
    if c.WITHDRAW not in TRANSITIONS[appeal.state]:
        messages.error(
            request,
            _("The appeal is “{state}” and can no longer be withdrawn.").format(
                state=State(appeal.state).label
            ),
        )
        return redirect(_detail_url(appeal))
    form = WithdrawForm(request.POST or None, initial={"version": appeal.version})
    if request.method == "POST" and form.is_valid():
        try:
            appeal_withdraw(
                appeal=appeal,
                actor=None,
                reason=form.cleaned_data["reason"],
                version=form.cleaned_data["version"],
            )
        except AppealConflict as exc:
            form.add_error(None, exc.messages)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Your appeal was withdrawn."))
            return redirect(_detail_url(appeal))
    return render(request, "appeals/h5/withdraw.html", {"appeal": appeal, "form": form})


@require_GET
def photo(request: HttpRequest, tracking_no: str, pk: str) -> HttpResponseBase:
    """A photo of one of the verified phone's own appeals (404 for anyone else)."""
    attachment = my_attachment(request, tracking_no, int(pk))
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
