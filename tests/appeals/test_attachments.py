"""Appeal photos: validate all first, at most five, audited, all-or-nothing with the appeal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from shegong.accounts.choices import Role
from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealType, Channel, State, WorkerType
from shegong.appeals.models import Appeal, Attachment
from shegong.appeals.services import AppealConflict
from shegong.appeals.services import attachments as svc
from shegong.core.models import AuditEvent
from tests.appeals.conftest import PHONE, Actors
from tests.support.scoped import ScopedEndpointSuite
from tests.support.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def jpeg(name: str = "p.jpg", *, gps: bool = False, size: tuple[int, int] = (30, 20)) -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (41.0, 50.0, 1.0),
        }
    out = io.BytesIO()
    Image.new("RGB", size, "green").save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def not_an_image(name: str = "wages.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 not a photo", content_type="image/jpeg")


# --- validate_uploads ----------------------------------------------------------------------------------


def test_validate_uploads_returns_every_photo_processed() -> None:
    photos = svc.validate_uploads([jpeg("a.jpg"), jpeg("b.jpg")])
    assert [p.content_type for p in photos] == ["image/jpeg", "image/jpeg"]


def test_validate_uploads_names_each_bad_photo_by_position() -> None:
    with pytest.raises(ValidationError) as info:
        svc.validate_uploads([jpeg(), jpeg(), not_an_image("third.pdf"), jpeg(), not_an_image("fifth.txt")])
    messages = info.value.messages
    assert len(messages) == 2
    assert "3" in messages[0]
    assert "third.pdf" in messages[0]
    assert "fifth.txt" in messages[1]


def test_validate_uploads_refuses_a_sixth_photo() -> None:
    with pytest.raises(ValidationError) as info:
        svc.validate_uploads([jpeg() for _ in range(6)])
    assert info.value.code == "too_many"
    with pytest.raises(ValidationError):
        svc.validate_uploads([jpeg(), jpeg()], existing=4)


def test_validate_uploads_refuses_an_oversize_photo(settings: Any) -> None:
    settings.SHEGONG_IMAGE_MAX_BYTES = 500
    with pytest.raises(ValidationError) as info:
        svc.validate_uploads([jpeg(size=(400, 400))])
    assert "1" in info.value.messages[0]


# --- attachment_add ------------------------------------------------------------------------------------


def test_worker_attaches_a_photo_audited_and_stripped(actors: Actors, media: Path) -> None:
    appeal = actors.submit()
    attachment = svc.attachment_add(appeal=appeal, upload=jpeg(gps=True))
    assert attachment.appeal_id == appeal.pk
    assert attachment.content_type == "image/jpeg"
    assert (attachment.width, attachment.height) == (30, 20)
    assert attachment.uploaded_by is None
    assert attachment.location_kept is False
    stored = Image.open(attachment.file.path)
    assert dict(stored.getexif()) == {}
    assert "p.jpg" not in attachment.file.name  # the uploader's file name is never used
    event = AuditEvent.objects.get(action=AppealsAction.ATTACHMENT_ADDED)
    assert event.target_id == str(appeal.pk)
    assert event.actor_label == "worker"
    assert event.changes["sha256"] == attachment.sha256
    assert event.division_code == appeal.division_id


def test_keep_location_keeps_the_gps_position(actors: Actors) -> None:
    attachment = svc.attachment_add(appeal=actors.submit(), upload=jpeg(gps=True), keep_location=True)
    assert attachment.location_kept is True
    assert Image.open(attachment.file.path).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_sixth_photo_is_refused_and_nothing_written(actors: Actors, media: Path) -> None:
    appeal = actors.submit()
    for _ in range(Attachment.MAX_PER_APPEAL):
        svc.attachment_add(appeal=appeal, upload=jpeg())
    files, audits = len(stored_files(media)), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        svc.attachment_add(appeal=appeal, upload=jpeg())
    assert info.value.code == "too_many"
    assert Attachment.objects.filter(appeal=appeal).count() == Attachment.MAX_PER_APPEAL
    assert len(stored_files(media)) == files
    assert AuditEvent.objects.count() == audits


def test_bad_photo_writes_nothing(actors: Actors, media: Path) -> None:
    appeal = actors.submit()
    with pytest.raises(ValidationError):
        svc.attachment_add(appeal=appeal, upload=not_an_image())
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_no_photos_on_a_closed_appeal(actors: Actors) -> None:
    appeal = actors.appeal_in(State.WITHDRAWN)
    with pytest.raises(AppealConflict):
        svc.attachment_add(appeal=appeal, upload=jpeg())
    assert not Attachment.objects.exists()


def test_staff_who_may_attach(actors: Actors) -> None:
    world = actors.world
    appeal = actors.appeal_in(State.IN_PROGRESS)
    assert svc.attachment_add(appeal=appeal, upload=jpeg(), actor=actors.intake).uploaded_by == actors.intake
    assert (
        svc.attachment_add(appeal=appeal, upload=jpeg(), actor=actors.handler).uploaded_by == actors.handler
    )
    other_unit = type(world.home_unit).all_objects.create(
        name="别的单位", unit_type="other", division=world.home
    )
    strangers = [
        world.user(Role.HANDLER, world.home, unit=other_unit),
        world.user(Role.INTAKE, world.away),
        actors.leader,
    ]
    for stranger in strangers:
        with pytest.raises(PermissionDenied):
            svc.attachment_add(appeal=appeal, upload=jpeg(), actor=stranger)
    assert Attachment.objects.count() == 2


# --- appeal_submit_with_photos -------------------------------------------------------------------------


def _submit_fields(actors: Actors) -> dict[str, Any]:
    return {
        "text": "站点拖欠配送费。",
        "division": actors.world.home_community,
        "phone": PHONE,
        "appeal_type": AppealType.COMPLAINT,
        "worker_type": WorkerType.FOOD_DELIVERY,
        "channel": Channel.H5,
    }


def test_appeal_and_photos_are_created_together(actors: Actors) -> None:
    photos = svc.validate_uploads([jpeg(), jpeg(), jpeg()])
    appeal = svc.appeal_submit_with_photos(photos=photos, **_submit_fields(actors))
    assert appeal.attachments.count() == 3
    assert AuditEvent.objects.filter(action=AppealsAction.ATTACHMENT_ADDED).count() == 3


def test_a_failing_third_photo_leaves_no_appeal_and_no_files(
    actors: Actors, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = svc.validate_uploads([jpeg(), jpeg(), jpeg()])
    real_add = svc.attachment_add
    calls = {"n": 0}

    def failing_add(**kwargs: Any) -> Attachment:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_add(**kwargs)

    monkeypatch.setattr(svc, "attachment_add", failing_add)
    audits = AuditEvent.objects.count()
    with pytest.raises(OSError, match="disk full"):
        svc.appeal_submit_with_photos(photos=photos, **_submit_fields(actors))
    assert not Appeal.all_objects.exists()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    assert AuditEvent.objects.count() == audits


def test_six_photos_never_reach_the_database(actors: Actors) -> None:
    photos = svc.validate_uploads([jpeg()]) * 6
    with pytest.raises(ValidationError):
        svc.appeal_submit_with_photos(photos=photos, **_submit_fields(actors))
    assert not Appeal.all_objects.exists()


# --- serving to staff: appeals:attachment ----------------------------------------------------------------


class TestStaffAttachmentView(ScopedEndpointSuite):
    """In scope 200, out of scope 404, without the view permission 403, anonymous → login; nothing written."""

    is_api = False
    allowed_role = Role.INTAKE
    forbidden_role = Role.SOCIAL_WORKER  # a desk role that does not see appeals
    watched_models = (Attachment,)

    def make_object(self, world: World, division: Any) -> Attachment:
        appeal = svc_submit(division)
        return svc.attachment_add(appeal=appeal, upload=jpeg())

    def url(self, obj: Any) -> str:
        return reverse("appeals:attachment", kwargs={"pk": obj.pk})


def svc_submit(division: Any) -> Appeal:
    from shegong.appeals.services import appeal_submit

    return appeal_submit(
        text="站点拖欠配送费。",
        division=division,
        phone=PHONE,
        appeal_type=AppealType.COMPLAINT,
        worker_type=WorkerType.FOOD_DELIVERY,
        channel=Channel.H5,
    )


def test_staff_view_sends_the_photo_inline_unsniffed_and_privately(actors: Actors, client: Client) -> None:
    attachment = svc.attachment_add(appeal=actors.submit(), upload=jpeg())
    client.force_login(actors.intake)
    response = client.get(reverse("appeals:attachment", kwargs={"pk": attachment.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="photo-{attachment.pk}.jpg"'
    cache = response["Cache-Control"]
    assert "private" in cache
    assert "public" not in cache
    assert b"".join(response.streaming_content) == Path(attachment.file.path).read_bytes()


def test_a_handler_sees_photos_of_their_own_unit_only(actors: Actors, client: Client) -> None:
    world = actors.world
    appeal = actors.appeal_in(State.IN_PROGRESS)  # dispatched to home_unit
    attachment = svc.attachment_add(appeal=appeal, upload=jpeg())
    url = reverse("appeals:attachment", kwargs={"pk": attachment.pk})
    client.force_login(actors.handler)
    assert client.get(url).status_code == 200
    other_unit = type(world.home_unit).all_objects.create(
        name="别的单位", unit_type="other", division=world.home
    )
    client.force_login(world.user(Role.HANDLER, world.home, unit=other_unit))
    assert client.get(url).status_code == 404
    client.force_login(actors.leader)
    assert client.get(url).status_code == 200


def test_unknown_attachment_is_404(actors: Actors, client: Client) -> None:
    client.force_login(actors.intake)
    assert client.get(reverse("appeals:attachment", kwargs={"pk": 999999})).status_code == 404
