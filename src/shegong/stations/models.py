from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shegong.core.pii import EncryptedTextField, PIIKind, mask_phone
from shegong.core.scoping import ScopedManager
from shegong.stations import geo, hours
from shegong.stations.choices import Amenity, Kind, Status


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
