"""Writes of stations: create, change, status, dated opening-hours exceptions, the check-in QR secret.

Every service is keyword-only and atomic, checks `stations:station:manage` over the station's division
(not only over the caller's "home"), validates with `full_clean()` and writes its audit row in the same
transaction. Photos are in `photos.py`, rider visits and feedback in `usage.py`, Excel in `importing.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shegong.core import audit
from shegong.core.pii import mask_phone
from shegong.core.scoping import covers, prefixes_for
from shegong.core.unset import UNSET, Unset
from shegong.divisions.models import Division, Unit
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import StationsPerm, Status
from shegong.stations.models import Station, StationException, new_checkin_token

# Fields a form or an import row may set, in the order audit diffs list them.
EDITABLE = (
    "name",
    "kind",
    "operator_unit",
    "division",
    "address",
    "lat",
    "lng",
    "amenities",
    "opening_hours",
    "contact_phone",
    "status",
)


def require_manage(actor: Any, division: Division | None) -> None:
    """PermissionDenied unless `actor` may manage stations in `division`."""
    if division is None or not covers(prefixes_for(actor, StationsPerm.MANAGE), division.code):
        raise PermissionDenied


def _check_unit(unit: Unit | None, division: Division) -> None:
    # The operator must sit on the station's line of the tree (the street office, the district union,
    # or a unit of the community itself), never in another county.
    if unit is None:
        return
    code = unit.division.code
    if not (division.code.startswith(code.rstrip("0")) or code.startswith(division.code.rstrip("0"))):
        raise ValidationError(
            {"operator_unit": _("The operating unit must belong to the station's division or one above it.")}
        )


def _audit_value(field: str, value: Any) -> Any:
    if field == "contact_phone":
        return mask_phone(value) if value else ""
    if field in {"division", "operator_unit"}:
        return getattr(value, "pk", value)
    return value


def _save(station: Station) -> None:
    station.full_clean()
    station.save()


@transaction.atomic
def station_create(*, actor: Any, division: Division, **fields: Any) -> Station:
    """Add a station; `fields` are any of EDITABLE but division. Raises ValidationError on bad input."""
    require_manage(actor, division)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown station fields: {sorted(unknown)}")
    station = Station(division=division, **fields)
    if isinstance(station.name, str):
        station.name = station.name.strip()
    _check_unit(station.operator_unit, division)
    _save(station)
    audit.record(
        action=StationsAction.CREATED,
        actor=actor,
        target=station,
        changes={f: _audit_value(f, getattr(station, f)) for f in EDITABLE},
    )
    return station


@transaction.atomic
def station_update(*, actor: Any, station: Station, **fields: Any) -> Station:
    """Change a station. Pass only the fields that change (UNSET values are ignored). Moving it to another
    division needs the manage permission over both."""
    station = Station.all_objects.select_for_update().get(pk=station.pk)
    require_manage(actor, station.division)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"unknown station fields: {sorted(unknown)}")
    changes: dict[str, list[Any]] = {}
    for field, value in fields.items():
        if isinstance(value, Unset):
            continue
        if field == "name" and isinstance(value, str):
            value = value.strip()
        old = getattr(station, field)
        if old != value:
            changes[field] = [_audit_value(field, old), _audit_value(field, value)]
            setattr(station, field, value)
    if "division" in changes:
        require_manage(actor, station.division)
    _check_unit(station.operator_unit, station.division)
    if not changes:
        return station
    _save(station)
    action = StationsAction.STATUS_CHANGED if set(changes) == {"status"} else StationsAction.UPDATED
    audit.record(action=action, actor=actor, target=station, changes=changes)
    return station


def station_set_status(*, actor: Any, station: Station, status: str) -> Station:
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    return station_update(actor=actor, station=station, status=status)


@transaction.atomic
def station_delete(*, actor: Any, station: Station) -> None:
    """Remove a station entered by mistake. A station riders have used (visits or feedback) is kept for the
    counts: close it instead."""
    station = Station.all_objects.select_for_update().get(pk=station.pk)
    require_manage(actor, station.division)
    if station.visits.exists() or station.feedback.exists():
        raise ValidationError(
            _("Riders have already used this station; set its status to closed down instead of deleting it.")
        )
    audit.record(
        action=StationsAction.DELETED,
        actor=actor,
        target=station,
        changes={"name": station.name, "address": station.address},
    )
    names = [p.file.name for p in station.photos.all()]
    station.delete()
    if names:
        from shegong.stations.photos import delete_files

        transaction.on_commit(lambda: delete_files(names))


@transaction.atomic
def exception_set(
    *,
    actor: Any,
    station: Station,
    day: date,
    closed: bool,
    opening_hours: Any = UNSET,
    note: str = "",
) -> StationException:
    """Set (or replace) the dated exception of `station` on `day`: closed, or special hours."""
    require_manage(actor, station.division)
    exc = StationException.objects.filter(station=station, date=day).first() or StationException(
        station=station, date=day
    )
    exc.closed = closed
    exc.opening_hours = [] if closed or isinstance(opening_hours, Unset) else opening_hours
    exc.note = (note or "").strip()
    exc.full_clean()
    exc.save()
    audit.record(
        action=StationsAction.EXCEPTION_SET,
        actor=actor,
        target=station,
        changes={
            "date": day.isoformat(),
            "closed": closed,
            "opening_hours": exc.opening_hours,
            "note": exc.note,
        },
    )
    return exc


@transaction.atomic
def exception_remove(*, actor: Any, exception: StationException) -> None:
    station = exception.station
    require_manage(actor, station.division)
    audit.record(
        action=StationsAction.EXCEPTION_REMOVED,
        actor=actor,
        target=station,
        changes={"date": exception.date.isoformat()},
    )
    exception.delete()


@transaction.atomic
def checkin_code_renew(*, actor: Any, station: Station) -> Station:
    """A new QR secret (the old poster was copied or taken away); old codes stop counting at once."""
    station = Station.all_objects.select_for_update().get(pk=station.pk)
    require_manage(actor, station.division)
    station.checkin_token = new_checkin_token()
    station.save(update_fields=["checkin_token", "updated_at"])
    audit.record(action=StationsAction.CHECKIN_CODE_RENEWED, actor=actor, target=station)
    return station
