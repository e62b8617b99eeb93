"""Station photos: checked by content and stripped of metadata, at most six, the manage permission,
audited, no orphan file when anything fails, the file deleted after removal; served publicly while the
station is not closed down, to staff in scope otherwise, typed from the row with nosniff."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from PIL import Image

from shegong.accounts.choices import Role
from shegong.core.models import AuditEvent
from shegong.stations import photos, services
from shegong.stations.audit_actions import StationsAction
from shegong.stations.choices import Status
from shegong.stations.models import Station, StationPhoto
from tests.stations.desk_support import english, jpeg, not_an_image, station
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_photo_add_stores_a_clean_copy_and_audits(world: World, media: Path) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    photo = photos.photo_add(actor=worker, station=target, upload=jpeg("IMG_0001.jpg"), caption=" 正门 ")
    assert (photo.content_type, photo.width, photo.height, photo.caption) == ("image/jpeg", 40, 30, "正门")
    assert "IMG_0001" not in photo.file.name
    (path,) = stored(media)
    with Image.open(path) as image:
        assert not image.getexif()  # the camera's metadata is gone
    row = AuditEvent.objects.get(action=StationsAction.PHOTO_ADDED)
    assert row.actor == worker
    assert row.changes["photo"] == photo.pk
    assert row.changes["sha256"] == photo.sha256


def test_not_an_image_is_refused_with_a_message_and_nothing_is_kept(world: World, media: Path) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    with pytest.raises(ValidationError) as info:
        photos.photo_add(actor=worker, station=target, upload=not_an_image())
    assert info.value.code == "not_image"
    assert "WebP" in info.value.messages[0]  # the message says what to choose (in Chinese by default)
    assert stored(media) == []
    assert not StationPhoto.objects.exists()
    assert not AuditEvent.objects.filter(action=StationsAction.PHOTO_ADDED).exists()


def test_at_most_six_photos(world: World, media: Path) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    for _ in range(StationPhoto.MAX_PER_STATION):
        photos.photo_add(actor=worker, station=target, upload=jpeg())
    with pytest.raises(ValidationError) as info:
        photos.photo_add(actor=worker, station=target, upload=jpeg())
    assert info.value.code == "too_many"
    assert len(stored(media)) == StationPhoto.MAX_PER_STATION  # the refused one left no file
    assert [p.position for p in target.photos.all()] == list(range(StationPhoto.MAX_PER_STATION))


def test_only_managers_in_scope_add_photos(world: World, media: Path) -> None:
    target = station(world.home_street)
    away = station(world.away_street, lat=22.82, lng=108.38)
    with pytest.raises(PermissionDenied):
        photos.photo_add(actor=world.user(Role.LEADER, world.home), station=target, upload=jpeg())
    with pytest.raises(PermissionDenied):
        photos.photo_add(actor=world.user(Role.SOCIAL_WORKER, world.home), station=away, upload=jpeg())
    assert stored(media) == []
    assert not StationPhoto.objects.exists()


def test_a_failure_after_the_file_was_written_leaves_no_orphan(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit database unavailable")

    monkeypatch.setattr(photos.audit, "record", broken)
    with pytest.raises(RuntimeError):
        photos.photo_add(actor=worker, station=target, upload=jpeg())
    assert stored(media) == []
    assert not StationPhoto.objects.exists()


def test_photo_remove_deletes_the_file_after_commit(
    world: World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    photo = photos.photo_add(actor=worker, station=station(world.home_street), upload=jpeg())
    with pytest.raises(PermissionDenied):
        photos.photo_remove(actor=world.user(Role.LEADER, world.home), photo=photo)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photos.photo_remove(actor=worker, photo=photo)
    assert len(stored(media)) == 1  # not before the commit
    for callback in callbacks:
        callback()
    assert stored(media) == []
    assert not StationPhoto.objects.exists()
    assert AuditEvent.objects.filter(action=StationsAction.PHOTO_REMOVED).count() == 1


def test_deleting_a_station_deletes_its_photo_files(
    world: World, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    photos.photo_add(actor=worker, station=target, upload=jpeg())
    photos.photo_add(actor=worker, station=target, upload=jpeg())
    with django_capture_on_commit_callbacks(execute=True):
        services.station_delete(actor=worker, station=target)
    assert stored(media) == []


# --- pages -----------------------------------------------------------------------------------------------
def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return english(client)


def test_upload_page_refuses_a_non_image_with_a_message(world: World, client: Client, media: Path) -> None:
    target = station(world.home_street)
    c = signed_in(client, world.user(Role.SOCIAL_WORKER, world.home))
    response = c.post(f"/desk/stations/{target.pk}/photos/", {"photo": not_an_image(), "caption": "菜单"})
    assert response.status_code == 400
    assert 'data-testid="photo-error"' in response.content.decode()
    assert "not a photo we can accept" in response.content.decode()
    assert stored(media) == []
    assert not StationPhoto.objects.exists()
    ok = c.post(f"/desk/stations/{target.pk}/photos/", {"photo": jpeg(), "caption": "正门"})
    assert ok.status_code == 302
    assert StationPhoto.objects.get().caption == "正门"


def test_remove_page_asks_first(world: World, client: Client, media: Path) -> None:
    worker = world.user(Role.SOCIAL_WORKER, world.home)
    target = station(world.home_street)
    photo = photos.photo_add(actor=worker, station=target, upload=jpeg())
    c = signed_in(client, worker)
    ask = c.get(f"/desk/stations/{target.pk}/photos/{photo.pk}/remove/")
    assert 'data-testid="confirm-form"' in ask.content.decode()
    assert StationPhoto.objects.filter(pk=photo.pk).exists()
    assert c.post(f"/desk/stations/{target.pk}/photos/{photo.pk}/remove/").status_code == 302
    assert not StationPhoto.objects.filter(pk=photo.pk).exists()


def _photo_of(world: World, division: Any, **fields: Any) -> StationPhoto:
    lat, lng = (41.82, 123.42) if division.code.startswith("21") else (22.82, 108.38)
    target = station(division, name=f"驿站{division.code}", lat=lat, lng=lng, **fields)
    admin = world.nationwide(Role.PLATFORM_ADMIN)
    return photos.photo_add(actor=admin, station=target, upload=jpeg())


def test_an_open_stations_photo_is_public(world: World, client: Client, media: Path) -> None:
    photo = _photo_of(world, world.away_street)  # any area: riders are everywhere
    response = client.get(f"/desk/stations/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "public" in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (40, 30)


def test_a_closed_stations_photo_is_for_staff_in_scope(world: World, client: Client, media: Path) -> None:
    photo = _photo_of(world, world.home_street, status=Status.CLOSED)
    anonymous = client.get(f"/desk/stations/photos/{photo.pk}/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    staff = signed_in(Client(), world.user(Role.LEADER, world.home))
    assert staff.get(f"/desk/stations/photos/{photo.pk}/").status_code == 200
    away = signed_in(Client(), world.user(Role.LEADER, world.away))
    assert away.get(f"/desk/stations/photos/{photo.pk}/").status_code == 404


def test_a_missing_photo_is_a_404(client: Client, db: None) -> None:
    assert client.get("/desk/stations/photos/999999/").status_code == 404


class TestClosedStationPhoto(ScopedEndpointSuite):
    """A closed station's photo follows the desk's rules."""

    is_api = False
    allowed_role = Role.LEADER
    forbidden_role = Role.VOLUNTEER

    @pytest.fixture(autouse=True)
    def _media(self, settings: Any, tmp_path: Path) -> None:
        settings.MEDIA_ROOT = tmp_path

    def make_object(self, world: World, division: Any) -> StationPhoto:
        return _photo_of(world, division, status=Status.CLOSED)

    def url(self, obj: Any) -> str:
        return f"/desk/stations/photos/{obj.pk}/"

    def marker(self, obj: Any) -> str:
        return Station.all_objects.get(pk=obj.station_id).name


class TestPhotoAddPage(ScopedEndpointSuite):
    is_api = False
    method = "post"
    success_status = 302
    allowed_role = Role.SOCIAL_WORKER
    forbidden_role = Role.LEADER
    watched_models = (StationPhoto,)

    @pytest.fixture(autouse=True)
    def _media(self, settings: Any, tmp_path: Path) -> None:
        settings.MEDIA_ROOT = tmp_path

    def make_object(self, world: World, division: Any) -> Station:
        lat, lng = (41.82, 123.42) if division.code.startswith("21") else (22.82, 108.38)
        return station(division, name=f"驿站{division.code}", lat=lat, lng=lng)

    def url(self, obj: Any) -> str:
        return f"/desk/stations/{obj.pk}/photos/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {"photo": jpeg(), "caption": "正门"}

    def marker(self, obj: Any) -> str:
        return str(obj.name)


class TestPhotoRemovePage(TestPhotoAddPage):
    def make_object(self, world: World, division: Any) -> StationPhoto:
        return _photo_of(world, division)

    def url(self, obj: Any) -> str:
        return f"/desk/stations/{obj.station_id}/photos/{obj.pk}/remove/"

    def payload(self, obj: Any) -> dict[str, Any]:
        return {}

    def marker(self, obj: Any) -> str:
        return Station.all_objects.get(pk=obj.station_id).name
