"""Audit action codes written by stations (`stations.<object>.<verb>`); registered in
StationsConfig.ready()."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StationsAction(models.TextChoices):
    CREATED = "stations.station.created", _("Station added")
    UPDATED = "stations.station.updated", _("Station changed")
    STATUS_CHANGED = "stations.station.status_changed", _("Station status changed")
    DELETED = "stations.station.deleted", _("Station deleted")
    EXCEPTION_SET = "stations.exception.set", _("Station opening-hours exception set")
    EXCEPTION_REMOVED = "stations.exception.removed", _("Station opening-hours exception removed")
    PHOTO_ADDED = "stations.photo.added", _("Station photo added")
    PHOTO_REMOVED = "stations.photo.removed", _("Station photo removed")
    IMPORTED = "stations.station.imported", _("Stations imported from Excel")
    EXPORTED = "stations.station.exported", _("Stations exported to Excel")
    CHECKIN_CODE_RENEWED = "stations.station.checkin_code_renewed", _("Station check-in QR code renewed")
    PHONE_REVEALED = "stations.station.phone_revealed", _("Station contact phone shown in full")
