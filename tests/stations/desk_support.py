"""Helpers shared by the stations desk tests: English pages, stations, photos, riders' visits and feedback."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from shegong.stations.models import Station, StationFeedback, StationVisit

EVERY_DAY_24H = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
_n = iter(range(1, 1_000_000))


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def station(division: Any, **fields: Any) -> Station:
    values: dict[str, Any] = {
        "name": f"测试驿站{next(_n)}",
        "division": division,
        "address": "沈阳市皇姑区华山路1号",
        "lat": 41.82,
        "lng": 123.42,
        "amenities": ["water"],
        "opening_hours": EVERY_DAY_24H,
        "contact_phone": "13812345678",
    }
    values.update(fields)
    obj = Station(**values)
    obj.full_clean()
    obj.save()
    return obj


def jpeg(name: str = "door.jpg", *, size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def not_an_image(name: str = "menu.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 not a photo", content_type="image/jpeg")


def visits(target: Station, at: datetime, n: int = 1) -> None:
    StationVisit.objects.bulk_create(
        [StationVisit(station=target, at=at, visitor=f"v{next(_n)}") for _ in range(n)]
    )


def feedback(
    target: Station, kind: str, at: datetime, *, appeal: Any = None, note: str = ""
) -> StationFeedback:
    return StationFeedback.objects.create(
        station=target, kind=kind, at=at, appeal=appeal, note=note, visitor=f"f{next(_n)}"
    )
