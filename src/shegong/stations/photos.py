"""Photos of stations (at most `StationPhoto.MAX_PER_STATION`), shown to riders on the H5 pages.

`photo_add` checks the upload by its content (`core.images.process_image`: JPEG, PNG or WebP, upright,
every piece of metadata — the GPS position included — stripped, re-encoded) before anything is stored,
writes the file under a random name and deletes it again when anything after the write fails (as appeal
attachments do), so a refused or rolled-back add leaves no orphan file. `photo_remove` deletes the row
and, once that has committed, the file. Files are served by `desk/photo_views.py`, never as static files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from shegong.core import audit
from shegong.core.images import process_image
from shegong.stations.audit_actions import StationsAction
from shegong.stations.models import Station, StationPhoto
from shegong.stations.services import require_manage

__all__ = ["delete_files", "photo_add", "photo_remove"]


def delete_files(names: Iterable[str]) -> None:
    """Delete stored photo files (missing ones are fine: the goal is that none is left)."""
    for name in names:
        if name:
            default_storage.delete(name)


def _too_many() -> ValidationError:
    return ValidationError(
        _("A station can have at most {n} photos; remove one first.").format(n=StationPhoto.MAX_PER_STATION),
        code="too_many",
    )


def photo_add(*, actor: Any, station: Station, upload: Any, caption: str = "") -> StationPhoto:
    """Add a photo to `station`. Raises PermissionDenied without the manage permission over its division,
    ValidationError for a file that is not an acceptable picture or when the station has its maximum."""
    require_manage(actor, station.division)  # before reading the upload: a refusal costs nothing
    image = process_image(upload)  # ImageRejected (a ValidationError) with a message for the uploader
    written: list[str] = []
    try:
        with transaction.atomic():
            station = Station.all_objects.select_for_update().get(pk=station.pk)
            require_manage(actor, station.division)
            existing = StationPhoto.objects.filter(station=station)
            if existing.count() >= StationPhoto.MAX_PER_STATION:
                raise _too_many()
            last = existing.aggregate(m=Max("position"))["m"]
            photo = StationPhoto(
                station=station,
                content_type=image.content_type,
                size=image.size,
                width=image.width,
                height=image.height,
                sha256=image.sha256,
                caption=(caption or "").strip(),
                position=0 if last is None else last + 1,
                uploaded_by=actor,
            )
            photo.file.save(f"photo.{image.extension}", ContentFile(image.content), save=False)
            written.append(photo.file.name)
            photo.full_clean()
            photo.save()
            audit.record(
                action=StationsAction.PHOTO_ADDED,
                actor=actor,
                target=station,
                changes={
                    "photo": photo.pk,
                    "content_type": image.content_type,
                    "size": image.size,
                    "sha256": image.sha256,
                    "caption": photo.caption,
                },
            )
    except BaseException:
        delete_files(written)
        raise
    return photo


@transaction.atomic
def photo_remove(*, actor: Any, photo: StationPhoto) -> None:
    """Remove a photo; the file is deleted once the removal has committed."""
    photo = StationPhoto.objects.select_for_update().get(pk=photo.pk)
    station = Station.all_objects.select_related("division").get(pk=photo.station_id)
    require_manage(actor, station.division)
    name = photo.file.name
    audit.record(
        action=StationsAction.PHOTO_REMOVED,
        actor=actor,
        target=station,
        changes={"photo": photo.pk, "sha256": photo.sha256, "caption": photo.caption},
    )
    photo.delete()
    transaction.on_commit(lambda: delete_files([name]))
