"""Riders' use of stations: 打卡 check-ins (`visit_record`) and feedback (`feedback_submit`).

Neither stores who the rider is. `visitor` is a keyed hash (`visitor_key`) of a random id kept in the
browser session, so one rider's repeated scans and taps count once without any personal data; the phone
of a problem report goes into the appeal it opens (encrypted there), never into StationFeedback.

A 👍 only counts (one per visitor, station and day). A problem report opens a low-priority appeal in the
REST category (休息与生活服务) for the station's division and, when the station has an operating unit,
accepts it as the system so it waits for dispatch instead of intake; the operating unit is named in the
text for the dispatcher. (`appeal_dispatch` needs an actor holding the dispatch permission, so the system
does not dispatch.) The feedback row and the appeal are written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from shegong.appeals.choices import AppealType, Channel, Urgency, WorkerType
from shegong.appeals.models import Appeal, Category
from shegong.appeals.services.intake import appeal_accept, appeal_dispatch, appeal_submit
from shegong.core import ratelimit
from shegong.stations import hours
from shegong.stations.choices import FeedbackKind, Status
from shegong.stations.models import Station, StationFeedback, StationVisit

REST_CATEGORY = "REST"
SESSION_KEY = "stations.visitor"
VISIT_GAP = dt.timedelta(hours=1)
# A rider reports a problem or two a day; a script sending hundreds is stopped by these.
FEEDBACK_PER_VISITOR = getattr(settings, "SHEGONG_STATIONS_FEEDBACK_PER_VISITOR_HOUR", 10)
FEEDBACK_WINDOW_SECONDS = 3600
NOTE_MAX = StationFeedback._meta.get_field("note").max_length or 300


class FeedbackLimited(ValidationError):
    """Too much feedback from this visitor (or address) for now."""


@dataclass(frozen=True)
class VisitResult:
    visit: StationVisit
    created: bool  # False: this visitor checked in here within the hour, nothing recorded


@dataclass(frozen=True)
class FeedbackResult:
    feedback: StationFeedback | None  # None: a second 👍 today, nothing recorded
    appeal: Appeal | None

    @property
    def created(self) -> bool:
        return self.feedback is not None


def visitor_key(request: HttpRequest) -> str:
    """A keyed hash (64 hex characters) standing for this browser, creating the session if needed.

    It hashes a random id stored in the session rather than the session key itself: the key changes
    when the rider verifies a phone (`session.cycle_key()`), the id stays with the session."""
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, str) or len(raw) < 16:
        raw = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = raw
    if request.session.session_key is None:
        request.session.save()
    return salted_hmac("shegong.stations.visitor", raw, algorithm="sha256").hexdigest()


def _check_visitor(visitor: str) -> None:
    if not isinstance(visitor, str) or not 16 <= len(visitor) <= 64:
        raise ValueError("visitor must be the keyed hash from visitor_key()")


def _local_day_start(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(hours.LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def refusal(station: Station) -> str | None:
    """Why riders cannot use `station` now (closed down or suspended), or None."""
    if station.status == Status.CLOSED:
        return _("This station has closed down.")
    if station.status == Status.SUSPENDED:
        return _("This station is temporarily out of service.")
    return None


@transaction.atomic
def visit_record(*, station: Station, visitor: str, now: dt.datetime | None = None) -> VisitResult:
    """Record one 打卡 at `station`; a second one by the same visitor within the hour records nothing.

    Raises ValidationError when the station is not in service."""
    _check_visitor(visitor)
    now = now or timezone.now()
    # The row lock makes two scans at the same moment (a double tap) count once.
    station = Station.all_objects.select_for_update().get(pk=station.pk)
    reason = refusal(station)
    if reason:
        raise ValidationError(reason, code="not_in_service")
    recent = (
        StationVisit.objects.filter(station=station, visitor=visitor, at__gt=now - VISIT_GAP)
        .order_by("-at")
        .first()
    )
    if recent is not None:
        return VisitResult(visit=recent, created=False)
    visit = StationVisit(station=station, visitor=visitor, at=now)
    visit.full_clean()
    visit.save()
    return VisitResult(visit=visit, created=True)


def _rest_category() -> Category:
    category = Category.objects.filter(code=REST_CATEGORY, is_active=True).first()
    if category is None:
        raise ValidationError(
            _("Problem reports cannot be taken right now. Please call the hotline."), code="no_category"
        )
    return category


def appeal_text(*, station: Station, kind: str, note: str) -> str:
    """The appeal's text, in the site's language (Chinese) whatever the rider's browser asked for: staff
    read it on the desk."""
    with translation.override(settings.LANGUAGE_CODE):
        return _appeal_text(station=station, kind=kind, note=note)


def _appeal_text(*, station: Station, kind: str, note: str) -> str:
    text = _("Station feedback: {name} ({address}) — {problem}.").format(
        name=station.name, address=station.address, problem=FeedbackKind(kind).label
    )
    if note:
        text = f"{text} {note}"
    if station.operator_unit_id:
        text = f"{text}\n" + _("Operating unit: {unit}.").format(unit=station.operator_unit)
    return text


def _check_limit(visitor: str, now: dt.datetime) -> None:
    result = ratelimit.hit(
        f"stations-feedback:{visitor}", limit=FEEDBACK_PER_VISITOR, window=FEEDBACK_WINDOW_SECONDS, now=now
    )
    if not result.allowed:
        raise FeedbackLimited(
            _("You have sent a lot of feedback. Please try again in {minutes} minutes.").format(
                minutes=max(1, (result.retry_after_seconds + 59) // 60)
            ),
            code="rate_limited",
        )


def feedback_submit(
    *,
    station: Station,
    kind: str,
    note: str = "",
    visitor: str,
    phone: str | None = None,
    worker_type: str = WorkerType.OTHER,
    now: dt.datetime | None = None,
) -> FeedbackResult:
    """Record a rider's 👍 or problem report about `station`.

    A problem needs `phone`, verified by the caller (the page's one-time code); it opens an appeal for the
    operator. Raises ValidationError for a bad kind, a too-long note, a missing phone or a station that is
    closed down; FeedbackLimited when this visitor sent too much. Nothing is written on error."""
    _check_visitor(visitor)
    now = now or timezone.now()
    if kind not in FeedbackKind.values:
        raise ValidationError(
            {"kind": _("Unknown kind of feedback “{kind}”.").format(kind=kind)}, code="bad_kind"
        )
    note = " ".join((note or "").split())  # one line: it goes into an SMS-length appeal summary
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Write at most {n} characters.").format(n=NOTE_MAX)}, code="note_too_long"
        )
    problem = kind != FeedbackKind.THUMBS_UP
    if problem and not phone:
        raise ValidationError(
            {"phone": _("Confirm your phone number to report a problem.")}, code="phone_required"
        )
    if worker_type not in WorkerType.values:
        raise ValidationError({"worker_type": _("Choose the kind of work you do.")}, code="bad_worker_type")
    # Counted in its own transaction before the write: a refused write still counts as a try.
    _check_limit(visitor, now)
    return _feedback_write(
        station=station, kind=kind, note=note, visitor=visitor, phone=phone, worker_type=worker_type, now=now
    )


@transaction.atomic
def _feedback_write(
    *,
    station: Station,
    kind: str,
    note: str,
    visitor: str,
    phone: str | None,
    worker_type: str,
    now: dt.datetime,
) -> FeedbackResult:
    station = (
        Station.all_objects.select_for_update(of=("self",)).select_related("operator_unit").get(pk=station.pk)
    )
    if station.status == Status.CLOSED:
        raise ValidationError(_("This station has closed down."), code="not_in_service")
    if kind == FeedbackKind.THUMBS_UP:
        already = StationFeedback.objects.filter(
            station=station, visitor=visitor, kind=FeedbackKind.THUMBS_UP, at__gte=_local_day_start(now)
        ).exists()
        if already:
            return FeedbackResult(feedback=None, appeal=None)
        feedback = StationFeedback(station=station, kind=kind, note=note, visitor=visitor, at=now)
        feedback.full_clean()
        feedback.save()
        return FeedbackResult(feedback=feedback, appeal=None)
    if not phone:  # feedback_submit checks this; a direct call must not file an appeal without one
        raise ValidationError({"phone": _("Confirm your phone number to report a problem.")})
    appeal = appeal_submit(
        text=appeal_text(station=station, kind=kind, note=note),
        division=station.division,
        phone=phone,
        appeal_type=AppealType.COMPLAINT,
        worker_type=worker_type,
        channel=Channel.H5,
        category=_rest_category(),
        urgency=Urgency.NORMAL,
        address=station.address,
    )
    if station.operator_unit_id and station.operator_unit.is_active:
        # The responsible unit is known by construction: the station's operator. The platform accepts and
        # dispatches it itself, so the report reaches the operator without waiting in two queues.
        appeal = appeal_accept(appeal=appeal, actor=None)
        appeal = appeal_dispatch(
            appeal=appeal, actor=None, system=True, unit=station.operator_unit, note=_("Station report")
        )
    feedback = StationFeedback(station=station, kind=kind, note=note, visitor=visitor, appeal=appeal, at=now)
    feedback.full_clean()
    feedback.save()
    return FeedbackResult(feedback=feedback, appeal=appeal)
