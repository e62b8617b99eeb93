from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shegong.core.pii import EncryptedTextField, PIIKind, mask_phone
from shegong.core.scoping import ScopedManager
from shegong.stations import geo, hours
from shegong.stations.choices import Amenity, FeedbackKind, Kind, Status


def new_checkin_token() -> str:
    """The secret in a station's QR code: a scan proves the rider stood in front of it."""
    return secrets.token_urlsafe(16)


def validate_amenities(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(_("Amenities must be a list of amenity codes."), code="bad_amenities")
    unknown = sorted(set(value) - set(Amenity.values))
    if unknown:
        raise ValidationError(
            _("Unknown amenities: {codes}.").format(codes=", ".join(unknown)), code="unknown_amenity"
        )


class Station(models.Model):
    """A service point (驿站) where gig workers rest, drink, charge, eat or use a toilet.

    Coordinates are GCJ-02 (what AMap/Tencent maps and their navigation links use).
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.LOVE_STATION)
    operator_unit = models.ForeignKey(
        "divisions.Unit",
        verbose_name=_("operating unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stations",
    )
    division = models.ForeignKey(
        "divisions.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="stations"
    )
    address = models.CharField(_("address"), max_length=200)
    lat = models.FloatField(_("latitude (GCJ-02)"))
    lng = models.FloatField(_("longitude (GCJ-02)"))
    amenities = models.JSONField(_("amenities"), default=list, blank=True, validators=[validate_amenities])
    opening_hours = models.JSONField(
        _("opening hours"), default=dict, blank=True, validators=[hours.validate_opening_hours]
    )
    contact_phone = EncryptedTextField(_("contact phone"), kind=PIIKind.PHONE, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    is_demo = models.BooleanField(_("demo data"), default=False)
    checkin_token = models.CharField(
        _("check-in code"), max_length=32, unique=True, default=new_checkin_token, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Django's machinery uses the plain manager; staff request code uses `objects.visible_to(...)`.
    # Public reads (the nearest search) use `all_objects`: stations are public points on a map.
    all_objects = models.Manager()
    objects = ScopedManager["Station"](division_field="division")

    class Meta:
        default_manager_name = "all_objects"
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["division", "name"]
        indexes = [
            # The nearest/within search reads a bounding box: lat BETWEEN … AND lng BETWEEN …. A B-tree on
            # (lat, lng) range-scans the latitude band and checks longitude inside the index, on SQLite and
            # PostgreSQL alike, without PostGIS.
            models.Index(fields=["lat", "lng"], name="stations_station_latlng_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "name"],
                name="stations_station_name_unique_in_division",
                violation_error_message=_("A station with this name already exists in this division."),
            ),
            models.CheckConstraint(
                condition=models.Q(lat__gte=geo.CHINA_LAT[0], lat__lte=geo.CHINA_LAT[1])
                & models.Q(lng__gte=geo.CHINA_LNG[0], lng__lte=geo.CHINA_LNG[1]),
                name="stations_station_point_in_china",
                violation_error_message=_("The station's coordinates must lie inside China."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.lat, self.lng = geo.validate_point(self.lat, self.lng)
        except ValidationError as exc:
            raise ValidationError({"lat": exc.messages}) from exc

    @property
    def masked_phone(self) -> str:
        """The contact number as the public sees it (138****1234)."""
        return mask_phone(self.contact_phone) if self.contact_phone else ""

    def is_open(self, at: datetime, exceptions: dict[Any, Any] | None = None) -> bool:
        """Open at the aware instant `at` (status and hours; `exceptions` preloaded or read here)."""
        return is_open(self, at, exceptions=exceptions)


class StationException(models.Model):
    """A dated change to a station's hours: closed for a holiday, or special hours for that day."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=False)
    opening_hours = models.JSONField(
        _("special hours"),
        default=list,
        blank=True,
        help_text=_('That day\'s ranges, e.g. [["10:00", "16:00"]], or "24h".'),
    )
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("opening-hours exception")
        verbose_name_plural = _("opening-hours exceptions")
        ordering = ["station", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "date"],
                name="stations_exception_one_per_day",
                violation_error_message=_("This station already has an exception on this date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.date}"

    def clean(self) -> None:
        if self.closed:
            return
        if not self.opening_hours:
            raise ValidationError({"opening_hours": _("Give the special hours, or mark the day as closed.")})
        try:
            hours.parse_day(self.opening_hours, where=self.date.isoformat() if self.date else "")
        except ValidationError as exc:
            raise ValidationError({"opening_hours": exc.messages}) from exc

    @property
    def day_hours(self) -> Any:
        """None when closed, else the ranges that replace the weekday's."""
        return None if self.closed else self.opening_hours


def is_open(station: Station, at: datetime, *, exceptions: dict[Any, Any] | None = None) -> bool:
    """Whether `station` serves at the aware instant `at` (Asia/Shanghai), honouring dated exceptions.

    `exceptions` ({date: None or ranges}) lets a search preload them for many stations in one query.
    """
    if station.status != Status.OPEN:
        return False
    if exceptions is None:
        day = at.astimezone(hours.LOCAL_TZ).date()
        exceptions = {e.date: e.day_hours for e in station.exceptions.filter(date=day)}
    return hours.is_open_at(station.opening_hours, exceptions, at)


def _photo_path(instance: StationPhoto, filename: str) -> str:
    # The stored name never carries the uploader's file name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"stations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class StationPhoto(models.Model):
    """A photo of a station (the door, the sign, the water dispenser) shown to riders; at most
    MAX_PER_STATION. Validated and stripped of metadata by `core.images.process_image`; served by a view,
    not as a static file."""

    MAX_PER_STATION = 6

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(_("file"), upload_to=_photo_path, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    sha256 = models.CharField(_("checksum"), max_length=64)
    caption = models.CharField(_("caption"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("station photo")
        verbose_name_plural = _("station photos")
        ordering = ["station", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.station_id} #{self.pk}"


class StationVisit(models.Model):
    """One 打卡: a rider scanned the QR code at the station. Counts usage; holds no personal data.

    `visitor` is a keyed hash of the browser session (or verified phone), so repeated scans by one rider
    within an hour count once without storing who he is."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="visits"
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    visitor = models.CharField(_("visitor key"), max_length=64)

    class Meta:
        verbose_name = _("station visit")
        verbose_name_plural = _("station visits")
        ordering = ["-at"]
        indexes = [
            # Usage counts per station over a date range, and the "already checked in this hour" test.
            models.Index(fields=["station", "at"], name="stations_visit_station_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.at:%Y-%m-%d %H:%M}"


class StationFeedback(models.Model):
    """A rider's 👍 or problem report about a station. A problem opens a low-priority appeal for the
    station's operator (`appeal`); a 👍 only counts."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="feedback"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=FeedbackKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("appeal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    visitor = models.CharField(_("visitor key"), max_length=64)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("station feedback")
        verbose_name_plural = _("station feedback")
        ordering = ["-at"]
        indexes = [
            # The desk's feedback list and counts per station, newest first.
            models.Index(fields=["station", "at"], name="stations_feedback_station_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.kind}"
