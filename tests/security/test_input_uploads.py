"""Uploads are checked by their content, never by the file name or the browser's content type: every upload
endpoint (appeal photos on the H5 filing page and the API, station photos on the desk, the stations Excel
import) refuses a PHP, HTML or SVG file renamed .jpg, a program named .png, a truncated JPEG and a
decompression-bomb PNG with a clear message, and keeps nothing: no appeal, no attachment row, no file.

A polyglot (a real JPEG with a script or PHP appended or in a comment segment) decodes as a picture, so it
is accepted — and stored re-encoded: the bytes kept never contain what was hidden in it. A GIF that carries
a script (the classic GIF/JS polyglot) is refused: GIF is not an accepted format."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Attachment
from shegong.core.images import MAX_PIXELS
from shegong.stations.models import Station, StationPhoto
from tests.appeals.test_api_support import appeal_in, bearer, token_for
from tests.security.input_support import worker_client
from tests.support.world import World

pytestmark = pytest.mark.django_db

NOT_A_PHOTO = "The file is not a photo we can accept"
TOO_MANY_PIXELS = "too many pixels"


def _jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, format="JPEG", quality=90)
    return out.getvalue()


def _bomb_png() -> bytes:
    """A 1-bit PNG of 20,000 × 20,000 pixels (400 megapixels, 10× the limit) that weighs about 60 KB:
    the rows are all zero, so they compress to nothing."""
    width = height = 20_000
    assert width * height > MAX_PIXELS

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    row = b"\x00" * (1 + width // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


PHP = b"<?php system($_GET['c']); ?>"
SCRIPT = b"<script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'

# name → (file name, bytes, content type the browser claims); each must be refused
BAD_FILES: dict[str, tuple[str, bytes, str]] = {
    "php renamed .jpg": ("photo.jpg", PHP, "image/jpeg"),
    "html renamed .jpg": ("photo.jpg", b"<!DOCTYPE html><html>" + SCRIPT + b"</html>", "image/jpeg"),
    "svg renamed .jpg": (
        "photo.jpg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
        "image/jpeg",
    ),
    "svg as itself": ("photo.svg", SVG, "image/svg+xml"),
    "gif/js polyglot": ("photo.jpg", b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;" + SCRIPT, "image/jpeg"),
    "exe named .png": ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "image/png"),
    "truncated jpeg": ("photo.jpg", _jpeg_bytes((640, 480))[:600], "image/jpeg"),
    "decompression bomb png": ("photo.png", _bomb_png(), "image/png"),
    "empty": ("photo.jpg", b"", "image/jpeg"),
}  # fmt: skip
BAD = sorted(BAD_FILES)


def bad_file(name: str) -> SimpleUploadedFile:
    filename, content, content_type = BAD_FILES[name]
    return SimpleUploadedFile(filename, content, content_type=content_type)


def polyglot() -> SimpleUploadedFile:
    """A valid JPEG carrying PHP in a comment segment and HTML after its end marker."""
    jpeg = _jpeg_bytes()
    comment = b"\xff\xfe" + (len(PHP) + 2).to_bytes(2, "big") + PHP
    return SimpleUploadedFile("photo.jpg", jpeg[:2] + comment + jpeg[2:] + SCRIPT, content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SHEGONG_SMS_BACKEND = "shegong.core.notify.ConsoleSMSBackend"
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _message_for(name: str) -> str:
    if name == "empty":
        return (
            "file is empty"  # Django's form ("The submitted file is empty.") or ours ("The file is empty.")
        )
    return TOO_MANY_PIXELS if "bomb" in name else NOT_A_PHOTO


# --- H5 filing ----------------------------------------------------------------------------------------------


def _filing(world: World, photo: Any, key: str) -> dict[str, Any]:
    return {
        "text": "站点扣了我两千元押金不退，说是规定。",
        "appeal_type": "complaint",
        "district": world.home.code,
        "street": world.home_street.code,
        "community": world.home_community.code,
        "worker_type": "courier",
        "platform": "顺丰",
        "idem": f"upload-{key}",
        "photos": [photo],
    }


@pytest.mark.parametrize("name", BAD)
def test_h5_filing_refuses_a_bad_photo_and_files_nothing(world: World, media: Path, name: str) -> None:
    client = english(worker_client())
    response = client.post("/h5/appeals/new/", _filing(world, bad_file(name), name))
    assert response.status_code == 200  # the form again, with the message under the photos
    html = response.content.decode()
    assert _message_for(name) in html, name
    assert 'name="photos"' in html
    assert not Appeal.all_objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_h5_filing_keeps_a_polyglot_only_re_encoded(world: World, media: Path) -> None:
    client = english(worker_client())
    response = client.post("/h5/appeals/new/", _filing(world, polyglot(), "poly"))
    assert response.status_code == 302
    [attachment] = Attachment.objects.all()
    assert attachment.content_type == "image/jpeg"
    kept = Path(attachment.file.path).read_bytes()
    assert PHP not in kept
    assert SCRIPT not in kept
    assert [p.suffix for p in stored_files(media)] == [".jpg"]


# --- API ----------------------------------------------------------------------------------------------------


@pytest.fixture
def api_target(world: World) -> tuple[Appeal, dict[str, str]]:
    appeal = appeal_in(world, world.home_community, State.IN_PROGRESS)
    handler = world.user(Role.HANDLER, world.home, unit=world.home_unit)
    return appeal, bearer(token_for(handler))


@pytest.mark.parametrize("name", BAD)
def test_api_refuses_a_bad_photo_and_stores_nothing(
    client: Client, api_target: tuple[Appeal, dict[str, str]], media: Path, name: str
) -> None:
    appeal, auth = api_target
    with translation.override("en"):
        response = client.post(
            f"/api/v1/appeals/{appeal.tracking_no}/attachments", {"file": bad_file(name)}, **auth
        )
    assert response.status_code == 422, (name, response.status_code, response.content[:200])
    body = response.json()
    assert set(body) >= {"code", "message"}
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_api_keeps_a_polyglot_only_re_encoded(
    client: Client, api_target: tuple[Appeal, dict[str, str]], media: Path
) -> None:
    appeal, auth = api_target
    response = client.post(f"/api/v1/appeals/{appeal.tracking_no}/attachments", {"file": polyglot()}, **auth)
    assert response.status_code == 201
    kept = Path(Attachment.objects.get().file.path).read_bytes()
    assert PHP not in kept
    assert SCRIPT not in kept


# --- stations (desk photo, Excel import) --------------------------------------------------------------------


@pytest.fixture
def station_desk(world: World, client: Client) -> tuple[Client, Station]:
    station = Station(
        name="测试驿站",
        division=world.home,
        address="沈阳市皇姑区华山路1号",
        lat=41.82,
        lng=123.42,
        amenities=["water"],
        opening_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h"),
    )
    station.full_clean()
    station.save()
    client.force_login(world.user(Role.PLATFORM_ADMIN))
    return english(client), station


@pytest.mark.parametrize("name", BAD)
def test_station_photo_refuses_a_bad_file_and_stores_nothing(
    station_desk: tuple[Client, Station], media: Path, name: str
) -> None:
    client, station = station_desk
    response = client.post(
        f"/desk/stations/{station.pk}/photos/", {"photo": bad_file(name), "caption": "门口"}
    )
    assert response.status_code == 400, (name, response.status_code)
    assert _message_for(name) in response.content.decode(), name
    assert not StationPhoto.objects.exists()
    assert stored_files(media) == []


def test_station_photo_keeps_a_polyglot_only_re_encoded(
    station_desk: tuple[Client, Station], media: Path
) -> None:
    client, station = station_desk
    response = client.post(f"/desk/stations/{station.pk}/photos/", {"photo": polyglot()})
    assert response.status_code == 302
    [kept_file] = stored_files(media)
    kept = kept_file.read_bytes()
    assert PHP not in kept
    assert SCRIPT not in kept


@pytest.mark.parametrize(
    "content",
    [PHP, b"<html>" + SCRIPT + b"</html>", b"MZ\x90\x00" + b"\x00" * 64, b"PK\x03\x04" + b"\x00" * 40],
    ids=["php", "html", "exe", "broken zip"],
)
def test_station_import_refuses_what_is_not_a_workbook(
    station_desk: tuple[Client, Station], content: bytes
) -> None:
    client, _station = station_desk
    before = Station.all_objects.count()
    upload = SimpleUploadedFile(
        "stations.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response = client.post("/desk/stations/transfer/", {"file": upload})
    assert response.status_code in (200, 400), response.status_code
    assert Station.all_objects.count() == before
    assert "Traceback" not in response.content.decode()
