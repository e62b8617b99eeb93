"""The worker's rights over their personal data (个人信息保护法 第44–47条), by the phone proved with a
one-time code (`appeals.verified`), at /h5/appeals/privacy/ (docs/privacy.md):

- see everything held for the phone: each appeal with its text, place, dates, state, number of photos,
  rating and progress — only the appeals filed with that phone, nothing of anyone else;
- download it (JSON, or an Excel workbook);
- ask for deletion: the personal data of the phone's finished appeals is purged at once
  (`appeals.retention.purge_for_phone`, the same purge as the retention job); open appeals are kept and
  the page says to withdraw them or wait until they are finished.

Every view, download and deletion writes an audit row (`appeals.privacy.*`) with the phone masked; that
row is the staff-side record of the request.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shegong.appeals import retention
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import CLOSED_STATES, OPEN_STATES, State
from shegong.appeals.h5 import timeline
from shegong.appeals.h5.selectors import my_appeals
from shegong.appeals.models import Appeal
from shegong.appeals.selectors import appeal_timeline
from shegong.appeals.services import TRANSITIONS
from shegong.appeals.services import common as c
from shegong.appeals.verified import verified_phone
from shegong.core import audit
from shegong.core.exports import neutralise
from shegong.core.pii import mask_phone
from shegong.divisions.selectors import division_ancestors

FORMATS = ("json", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm the deletion.")},
    )


# --- reads ------------------------------------------------------------------------------------------------


def _held(request: HttpRequest) -> list[Appeal]:
    """The verified phone's appeals, newest first, with the number of photos of each."""
    return list(my_appeals(request).select_related("merged_into").annotate(photo_count=Count("attachments")))


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _place(appeal: Appeal) -> str:
    return " ".join(d.name for d in [*division_ancestors(appeal.division), appeal.division])


def _record(appeal: Appeal) -> dict[str, Any]:
    """One appeal as the worker may take it away: what they gave, where it stands, what they were told."""
    steps = timeline.steps(appeal_timeline(appeal=appeal, public_only=True), full=True)
    return {
        "tracking_no": appeal.tracking_no,
        "state": appeal.state,
        "state_label": str(State(appeal.state).label),
        "submitted_at": _local(appeal.submitted_at),
        "closed_at": _local(appeal.closed_at),
        "appeal_type": appeal.get_appeal_type_display(),
        "subject": appeal.category.name if appeal.category else "",
        "worker_type": appeal.get_worker_type_display(),
        "platform": appeal.platform,
        "text": appeal.text,
        "place": _place(appeal),
        "address": appeal.address,
        "latitude": str(appeal.lat) if appeal.lat is not None else "",
        "longitude": str(appeal.lng) if appeal.lng is not None else "",
        "phone": mask_phone(appeal.phone) if appeal.phone else "",
        "anonymous_to_unit": appeal.anonymous,
        "photos": appeal.photo_count,  # type: ignore[attr-defined]  # annotated in _held
        "reply": appeal.reply_text,
        "resolved": appeal.resolved,
        "satisfaction": appeal.get_satisfaction_display() if appeal.satisfaction else "",
        "rating_comment": appeal.rating_comment,
        "reason": appeal.close_reason,
        "progress": [{"at": _local(s.at), "text": s.text, "note": s.note} for s in steps],
    }


@transaction.atomic
def _audit(action: str, phone: str, appeals: list[Appeal], **extra: Any) -> None:
    audit.record(
        action=action,
        actor_label=c.WORKER,
        division_code=retention.common_division_code(a.division_id for a in appeals),
        changes={"phone": mask_phone(phone), "appeals": len(appeals), **extra},
    )


def _verify_first(request: HttpRequest, next_url: str) -> HttpResponse:
    messages.info(request, _("Please confirm your phone number first."))
    return redirect(f"{reverse('appeals:h5_verify')}?{urlencode({'next': next_url})}")


# --- pages ------------------------------------------------------------------------------------------------


@never_cache
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """我的个人信息: everything held for the verified phone, with the download and deletion links."""
    phone = verified_phone(request)
    if phone is None:
        return _verify_first(request, reverse("appeals:h5_privacy"))
    appeals = _held(request)
    _audit(AppealsAction.PRIVACY_VIEWED, phone, appeals)
    return render(
        request,
        "appeals/h5/privacy.html",
        {
            "appeals": appeals,
            "verified_phone": mask_phone(phone),
            "open_count": sum(1 for a in appeals if a.state in OPEN_STATES),
            "finished_count": sum(1 for a in appeals if a.state in CLOSED_STATES),
            "retention_days": max(0, int(settings.SHEGONG_APPEAL_PII_RETENTION_DAYS)),
        },
    )


def _json(records: list[dict[str, Any]], phone: str) -> bytes:
    document = {
        "generated_at": _local(timezone.now()),
        "phone": mask_phone(phone),
        "appeals": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


_COLUMNS = (
    ("tracking_no", gettext_lazy("Tracking number")),
    ("state_label", gettext_lazy("State")),
    ("submitted_at", gettext_lazy("Submitted")),
    ("closed_at", gettext_lazy("Finished")),
    ("appeal_type", gettext_lazy("Type of appeal")),
    ("subject", gettext_lazy("Subject")),
    ("worker_type", gettext_lazy("Your work")),
    ("platform", gettext_lazy("Platform")),
    ("text", gettext_lazy("Your appeal")),
    ("place", gettext_lazy("Place")),
    ("address", gettext_lazy("Address")),
    ("latitude", gettext_lazy("Latitude")),
    ("longitude", gettext_lazy("Longitude")),
    ("phone", gettext_lazy("Phone")),
    ("photos", gettext_lazy("Photos")),
    ("reply", gettext_lazy("Reply")),
    ("satisfaction", gettext_lazy("Your rating")),
    ("rating_comment", gettext_lazy("Your comment")),
    ("reason", gettext_lazy("Reason")),
)


def _cells(values: Iterable[Any]) -> list[str]:
    # neutralise: a text starting with = + - @ must not run as a formula when the file is opened.
    return [neutralise("" if v is None else v) for v in values]


def _xlsx(records: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("My appeals"))
    sheet.append([str(label) for _key, label in _COLUMNS])
    for record in records:
        sheet.append(_cells(record[key] for key, _label in _COLUMNS))
    progress = book.create_sheet(_("Progress"))
    progress.append([_("Tracking number"), _("Time"), _("Progress"), _("Note")])
    for record in records:
        for step in record["progress"]:
            progress.append(_cells([record["tracking_no"], step["at"], step["text"], step["note"]]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@never_cache
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    """The same data as a file: ?format=json (default) or ?format=xlsx."""
    phone = verified_phone(request)
    if phone is None:
        return _verify_first(request, reverse("appeals:h5_privacy"))
    fmt = request.GET.get("format", "json")
    if fmt not in FORMATS:
        messages.error(request, _("Choose a download format from the page."))
        return redirect("appeals:h5_privacy")
    appeals = _held(request)
    records = [_record(appeal) for appeal in appeals]
    _audit(AppealsAction.PRIVACY_DOWNLOADED, phone, appeals, format=fmt)
    stamp = timezone.localtime().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(_xlsx(records), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(_json(records, phone), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-appeals-{stamp}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    """删除我的个人信息: GET explains and asks for confirmation, POST purges the finished appeals' data."""
    phone = verified_phone(request)
    if phone is None:
        return _verify_first(request, reverse("appeals:h5_privacy_erase"))
    appeals = _held(request)
    finished = [a for a in appeals if a.state in CLOSED_STATES]
    still_open = [a for a in appeals if a.state in OPEN_STATES]
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and finished and form.is_valid():
        result = retention.purge_for_phone(phone=phone)
        messages.success(
            request,
            _(
                "The personal data of {count} finished appeals was deleted. What is left for the "
                "statistics no longer identifies you."
            ).format(count=result.purged.appeals),
        )
        return redirect("appeals:h5_privacy")
    return render(
        request,
        "appeals/h5/privacy_erase.html",
        {
            "form": form,
            "finished": finished,
            "still_open": [(a, c.WITHDRAW in TRANSITIONS[a.state]) for a in still_open],
            "verified_phone": mask_phone(phone),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
