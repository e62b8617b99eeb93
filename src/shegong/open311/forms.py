"""Parameters of the Open311 calls, checked: POST requests' form body with its `attribute[code]` values, and
GET requests' query. Every refusal names the parameter, as a client developer reads it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shegong.appeals.models import TEXT_MAX, Category
from shegong.core import pii
from shegong.open311.catalogue import ATTRIBUTES, STRING
from shegong.open311.render import Open311Error
from shegong.open311.selectors import MAX_RESULTS, MAX_SPAN, RequestsQuery
from shegong.stations.geo import validate_point, wgs84_to_gcj02

COORD_STEP = Decimal("0.000001")  # Appeal.lat/lng keep six decimals
ADDRESS_MAX = 200  # Appeal.address
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


def _errors(form: forms.Form) -> list[str]:
    return [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]


class ServiceRequestForm(forms.Form):
    """POST requests: the spec's arguments this platform keeps. email, device_id, account_id, first_name,
    last_name and media_url are accepted and not stored (the worker is reached by the phone alone)."""

    service_code = forms.CharField(
        max_length=40, error_messages={"required": gettext_lazy("service_code was not provided.")}
    )
    jurisdiction_id = forms.CharField(required=False, max_length=20)
    lat = forms.CharField(required=False, max_length=30)
    long = forms.CharField(required=False, max_length=30)
    address_string = forms.CharField(required=False, max_length=ADDRESS_MAX)
    address_id = forms.CharField(required=False, max_length=20)
    description = forms.CharField(
        max_length=TEXT_MAX,
        error_messages={"required": gettext_lazy("Describe the worker's problem in description.")},
    )
    phone = forms.CharField(
        max_length=30,
        error_messages={
            "required": gettext_lazy(
                "Give the worker's mobile number in phone: the tracking number and the reply go to it."
            )
        },
    )

    def clean_phone(self) -> str:
        return pii.normalise(pii.PIIKind.PHONE, self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lat, lng = data.get("lat") or "", data.get("long") or ""
        if bool(lat) != bool(lng):
            raise ValidationError(_("Send both lat and long, or neither."))
        data["point"] = None
        if lat:
            try:
                w_lat, w_lng = validate_point(lat, lng)
            except ValidationError as exc:
                self.add_error("lat", exc)
                return data
            g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
            data["point"] = (
                Decimal(str(g_lat)).quantize(COORD_STEP),
                Decimal(str(g_lng)).quantize(COORD_STEP),
            )
        if not (lat or data.get("address_string") or data.get("address_id")):
            raise ValidationError(
                _("A location is required: lat and long, address_string or address_id (a division code).")
            )
        return data


def clean_request(post: QueryDict) -> dict[str, Any]:
    """The form's values and the attributes' (worker_type, appeal_type, platform, anonymous, source_ref),
    or Open311Error(400) listing every problem at once."""
    form = ServiceRequestForm(post)
    problems = [] if form.is_valid() else _errors(form)
    attributes, attribute_problems = clean_attributes(post)
    problems += attribute_problems
    if problems:
        raise Open311Error(400, *problems)
    return {**form.cleaned_data, **attributes}


def clean_attributes(post: QueryDict) -> tuple[dict[str, Any], list[str]]:
    """attribute[code]=value (attribute[code][]=value for lists) against the service definition. Codes the
    definition does not name are ignored: clients such as FixMyStreet send their own extra attributes."""
    given: dict[str, list[str]] = {}
    for name in post:
        match = _ATTRIBUTE.fullmatch(name)
        if match:
            values = [v.strip() for v in post.getlist(name) if v.strip()]
            given.setdefault(match.group(1), []).extend(values)
    cleaned: dict[str, Any] = {}
    problems: list[str] = []
    for attribute in ATTRIBUTES:
        label = f"attribute[{attribute.code}]"
        values = given.get(attribute.code, [])
        if not values:
            if attribute.required:
                problems.append(_("{name} is required.").format(name=label))
            cleaned[attribute.code] = "" if attribute.code != "anonymous" else False
            continue
        if len(values) > 1:
            problems.append(_("{name} takes one value.").format(name=label))
            continue
        value = values[0]
        if attribute.datatype == STRING:
            if len(value) > attribute.max_length:
                problems.append(
                    _("{name} has at most {max} characters.").format(name=label, max=attribute.max_length)
                )
                continue
        elif value not in attribute.allowed():
            problems.append(
                _("{name}: {value} is not one of the values in the service definition.").format(
                    name=label, value=value[:50]
                )
            )
            continue
        cleaned[attribute.code] = value == "true" if attribute.code == "anonymous" else value
    return cleaned, problems


# --- GET requests ------------------------------------------------------------------------------------------
def _listed(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _moment(name: str, value: str) -> dt.datetime:
    """A W3C date-time (2010-01-01T00:00:00Z); without an offset, or a bare date, it is China time."""
    # A client that did not encode "+08:00" sends " 08:00": the space was a plus.
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, _("{name} is not a date-time such as 2010-01-01T00:00:00Z.").format(name=name)
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@dataclass(frozen=True)
class _Window:
    start: dt.datetime
    end: dt.datetime


def _window(start_value: str, end_value: str) -> _Window:
    """The spec's window: both given → at most 90 days apart; one given → 90 days from or to it; neither →
    the most recent 90 days."""
    start = _moment("start_date", start_value) if start_value else None
    end = _moment("end_date", end_value) if end_value else None
    if start is not None and end is not None:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > MAX_SPAN:
            raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
        return _Window(start, end)
    if start is not None:
        return _Window(start, start + MAX_SPAN)
    if end is not None:
        return _Window(end - MAX_SPAN, end)
    now = timezone.now()
    return _Window(now - MAX_SPAN, now)


def parse_requests_query(params: QueryDict) -> RequestsQuery:
    ids = _listed(params.get("service_request_id"))
    if len(ids) > MAX_RESULTS:
        raise Open311Error(
            400, _("Ask for at most {max} service_request_id values at once.").format(max=MAX_RESULTS)
        )
    if ids:  # the spec: ids override every other argument
        return RequestsQuery(ids=ids)
    codes = _listed(params.get("service_code"))
    found = dict(Category.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Open311Error(
            400, *[_("service_code {code} was not found.").format(code=code[:40]) for code in unknown]
        )
    statuses = frozenset(_listed(params.get("status")))
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, _("status is open, closed or both (comma separated)."))
    window = _window(params.get("start_date", "").strip(), params.get("end_date", "").strip())
    return RequestsQuery(
        category_ids=list(found.values()), start=window.start, end=window.end, statuses=statuses
    )
