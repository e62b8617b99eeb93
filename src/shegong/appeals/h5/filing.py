"""Filing an appeal from the phone: the one-page form, the place picker partial, the phone check, and the
page with the tracking number.

A submission runs in this order, so that bad input writes nothing: the whole form (text, place, every
photo) is checked; the one-time code is checked (unless the session already proved the phone); then the
appeal and its photos are created in one transaction under the form's idempotency key. The key is a
hidden field made when the form is shown: a double tap or a retry after a lost answer replays the first
result (the same tracking number) instead of filing twice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals.choices import Channel
from shegong.appeals.h5 import otp, places
from shegong.appeals.h5.forms import PLATFORMS, AppealForm, SendCodeForm, new_idempotency_key
from shegong.appeals.h5.selectors import TooManyLookups, appeal_by_tracking_no
from shegong.appeals.models import Attachment
from shegong.appeals.services.attachments import appeal_submit_with_photos
from shegong.appeals.verified import verified_phone
from shegong.core import images, ratelimit
from shegong.core.idempotency import IdempotencyConflict, IdempotencyKeyInvalid, run_idempotent
from shegong.core.middleware import client_ip
from shegong.core.phone_verification import VerificationError
from shegong.core.pii import mask_phone

IDEMPOTENCY_SCOPE = "appeals.h5.submit"
FILINGS_PER_ADDRESS = 30
FILING_WINDOW_SECONDS = 3600
# Simple fields carried over when the no-JavaScript round trips (place, code) redraw the form.
_CARRIED = (
    "text",
    "appeal_type",
    "category",
    "address",
    "lat",
    "lng",
    "worker_type",
    "platform",
    "phone",
    "idem",
)
_CARRIED_FLAGS = ("keep_location", "anonymous")


class _NotStored(Exception):
    """Raised inside run_idempotent to ask only whether a key was already used."""


def _context(request: HttpRequest, form: AppealForm, data: Any, **extra: Any) -> dict[str, Any]:
    phone = form.verified_phone
    return {
        "form": form,
        "picker": places.build(data),
        "verified_phone": mask_phone(phone) if phone else "",
        "platforms": PLATFORMS,
        "max_photos": Attachment.MAX_PER_APPEAL,
        "max_photo_bytes": images.max_bytes(),
        "max_body_bytes": settings.SHEGONG_UPLOAD_MAX_BYTES,
        "resend_seconds": otp.RESEND_SECONDS,
        **extra,
    }


def _redraw(request: HttpRequest, phone: str | None, **extra: Any) -> HttpResponse:
    """The form again with what the worker entered, without validating it (a no-JavaScript round trip).
    Files cannot be put back into a file input, so chosen photos must be chosen again."""
    initial: dict[str, Any] = {name: request.POST.get(name, "") for name in _CARRIED}
    initial.update({name: bool(request.POST.get(name)) for name in _CARRIED_FLAGS})
    if not initial["idem"]:
        initial["idem"] = new_idempotency_key()
    form = AppealForm(initial=initial, verified_phone=phone)
    if request.FILES:
        messages.info(request, _("Please choose your photos again."))
    return render(request, "appeals/h5/submit.html", _context(request, form, request.POST, **extra))


def _send_code_from_form(request: HttpRequest, phone: str | None) -> HttpResponse:
    sender = SendCodeForm(request.POST)
    countdown = 0
    if sender.is_valid():
        result = otp.send(request, sender.cleaned_data["phone"])
        (messages.success if result.sent else messages.error)(request, result.message)
        countdown = otp.RESEND_SECONDS if result.sent else 0
    else:
        messages.error(request, str(sender.errors["phone"][0]))
    return _redraw(request, phone, countdown=countdown)


def _replay(key: str, payload: dict[str, Any]) -> str | None:
    """The tracking number a key already produced with this body, without filing anything."""

    def nothing_stored() -> tuple[int, Any]:
        raise _NotStored

    try:
        return str(
            run_idempotent(scope=IDEMPOTENCY_SCOPE, key=key, payload=payload, effect=nothing_stored).body[
                "tracking_no"
            ]
        )
    except (_NotStored, IdempotencyConflict, IdempotencyKeyInvalid):
        return None


def _renew_key(request: HttpRequest, form: AppealForm) -> None:
    """Show the form again under a new key: sending it again is then a new appeal, deliberately."""
    data = request.POST.copy()
    data["idem"] = new_idempotency_key()
    form.data = data


def _file(request: HttpRequest, form: AppealForm) -> HttpResponse | None:
    """Check the code, then create the appeal once; None when the form got an error to show."""
    data = form.cleaned_data
    payload = form.fingerprint()
    key = data["idem"]
    if form.verified_phone is None:
        try:
            otp.check(request, data["phone"], data["code"])
        except VerificationError as exc:
            # A retry whose first attempt got through used the code up: answer like the first attempt.
            tracking_no = _replay(key, payload) if exc.code == "used" else None
            if tracking_no:
                return redirect("appeals:h5_done", tracking_no=tracking_no)
            form.add_error("code", exc.messages[0])
            return None
    limit_key = f"appeals-h5-file-ip:{client_ip(request) or 'unknown'}"
    if ratelimit.peek(limit_key, window=FILING_WINDOW_SECONDS) >= FILINGS_PER_ADDRESS:
        tracking_no = _replay(key, payload)
        if tracking_no:
            return redirect("appeals:h5_done", tracking_no=tracking_no)
        form.add_error(None, _("Too many appeals were filed from this network. Please try again later."))
        return None

    def create() -> tuple[int, dict[str, str]]:
        appeal = appeal_submit_with_photos(
            photos=data.get("images", []),
            text=data["text"],
            division=data["division"],
            phone=form.phone_value(),
            appeal_type=data["appeal_type"],
            worker_type=data["worker_type"],
            channel=Channel.H5,
            category=data.get("category"),
            platform=data.get("platform", ""),
            address=data.get("address", ""),
            lat=data.get("lat"),
            lng=data.get("lng"),
            anonymous=bool(data.get("anonymous")),
        )
        return 201, {"tracking_no": appeal.tracking_no}

    try:
        result = run_idempotent(scope=IDEMPOTENCY_SCOPE, key=key, payload=payload, effect=create)
    except IdempotencyConflict:
        # The same form was sent before with other content (back button, edited, sent again).
        _renew_key(request, form)
        form.add_error(
            None,
            _(
                "This form was already sent with different content. If this is a new appeal, check it "
                "and send it again."
            ),
        )
        return None
    except IdempotencyKeyInvalid:
        _renew_key(request, form)
        form.add_error(None, _("The form has expired. Please check it and send it again."))
        return None
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None
    if not result.replayed:
        ratelimit.hit(limit_key, limit=FILINGS_PER_ADDRESS, window=FILING_WINDOW_SECONDS)
    return redirect("appeals:h5_done", tracking_no=result.body["tracking_no"])


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    """提交诉求: the one-page form."""
    phone = verified_phone(request)
    if request.method == "GET":
        initial = {"idem": new_idempotency_key()}
        form = AppealForm(initial=initial, verified_phone=phone)
        return render(request, "appeals/h5/submit.html", _context(request, form, request.GET))
    if request.POST.get("_place"):
        return _redraw(request, phone)
    if request.POST.get("action") == "send" and not phone:
        return _send_code_from_form(request, phone)
    form = AppealForm(request.POST, request.FILES, verified_phone=phone)
    if form.is_valid():
        response = _file(request, form)
        if response is not None:
            return response
    return render(request, "appeals/h5/submit.html", _context(request, form, request.POST))


@require_GET
def place_picker(request: HttpRequest) -> HttpResponse:
    """The place selects for the chosen district/street (htmx swaps them into the form)."""
    return render(request, "appeals/h5/_place_picker.html", {"picker": places.build(request.GET)})


@never_cache
@require_GET
def done(request: HttpRequest, tracking_no: str) -> HttpResponse:
    """提交成功: the tracking number, large and grouped for reading aloud."""
    try:
        appeal = appeal_by_tracking_no(request, tracking_no)
    except TooManyLookups:
        appeal = None
    if appeal is None:
        raise Http404
    groups = appeal.tracking_no.split("-")
    return render(
        request,
        "appeals/h5/done.html",
        {"appeal": appeal, "groups": groups, "spelled": [list(group) for group in groups]},
    )
