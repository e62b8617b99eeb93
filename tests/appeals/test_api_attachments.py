"""POST /api/v1/appeals/{tracking_no}/attachments: a photo (multipart) from the worker's session, intake or
the unit's handler; checked, re-encoded, at most five; nothing stored on a refusal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from shegong.accounts.choices import Role
from shegong.appeals.choices import State
from shegong.appeals.models import Appeal, Attachment
from shegong.core.models import AuditEvent
from tests.appeals.test_api_support import (
    BASE,
    CSRF,
    PHONE,
    AppealSuite,
    appeal_in,
    bearer,
    new_body,
    partner,
    post,
    token_for,
    verified_client,
)
from tests.support.world import World


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def png(name: str = "photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), "orange").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def upload(client: Client, tracking_no: str, photo: Any, **extra: Any) -> Any:
    return client.post(f"{BASE}/{tracking_no}/attachments", {"file": photo}, **extra)


class TestAttach(AppealSuite):
    success_status = 201
    method = "post"
    forbidden_role = Role.LEADER  # sees the appeal, may not add photos
    watched_models = (Attachment,)

    def url(self, obj: Any) -> str:
        return f"{BASE}/{obj.tracking_no}/attachments"

    def call(self, client: Client, obj: Any) -> Any:
        return client.post(self.url(obj), {"file": png()})


pytestmark = pytest.mark.django_db


def test_worker_session_attaches_to_own_open_appeal(world: World, media: Path) -> None:
    browser = verified_client(PHONE)
    created = post(browser, BASE, new_body(world), **{"Idempotency-Key": "w", "X-CSRFToken": CSRF})
    tracking_no = created.json()["tracking_no"]
    response = upload(browser, tracking_no, png("王五-13800138000.png"), HTTP_X_CSRFTOKEN=CSRF)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["content_type"], data["width"], data["height"]) == ("image/png", 24, 16)
    attachment = Attachment.objects.get(appeal__tracking_no=tracking_no)
    assert attachment.uploaded_by is None
    assert "13800138000" not in attachment.file.name  # stored under a random name
    assert len(stored(media)) == 1
    assert AuditEvent.objects.filter(action="appeals.attachment.added").count() == 1


def test_not_a_photo_is_422_and_stores_nothing(world: World, client: Client, media: Path) -> None:
    appeal = appeal_in(world, world.home_street, State.SUBMITTED)
    raw = token_for(world.user(Role.INTAKE))
    fake = SimpleUploadedFile("wages.pdf", b"%PDF-1.4 not a photo", content_type="image/png")
    response = upload(client, appeal.tracking_no, fake, **bearer(raw))
    assert response.status_code == 422
    assert Attachment.objects.count() == 0
    assert stored(media) == []


def test_a_sixth_photo_is_422(world: World, client: Client, media: Path) -> None:
    appeal = appeal_in(world, world.home_street, State.SUBMITTED)
    raw = token_for(world.user(Role.INTAKE))
    for _ in range(Attachment.MAX_PER_APPEAL):
        assert upload(client, appeal.tracking_no, png(), **bearer(raw)).status_code == 201
    response = upload(client, appeal.tracking_no, png(), **bearer(raw))
    assert response.status_code == 422
    assert Attachment.objects.count() == Attachment.MAX_PER_APPEAL
    assert len(stored(media)) == Attachment.MAX_PER_APPEAL


def test_closed_appeal_is_409(world: World, client: Client, media: Path) -> None:
    appeal = appeal_in(world, world.home_street, State.CLOSED)
    response = upload(client, appeal.tracking_no, png(), **bearer(token_for(world.user(Role.INTAKE))))
    assert response.status_code == 409
    assert stored(media) == []


def test_missing_file_is_400(world: World, client: Client) -> None:
    appeal = appeal_in(world, world.home_street, State.SUBMITTED)
    raw = token_for(world.user(Role.INTAKE))
    response = client.post(f"{BASE}/{appeal.tracking_no}/attachments", {}, **bearer(raw))
    assert response.status_code == 400


def test_partner_cannot_attach_and_others_appeals_are_404(world: World, client: Client, media: Path) -> None:
    _, raw = partner(world)
    own = post(client, BASE, new_body(world), **bearer(raw), **{"Idempotency-Key": "p"}).json()["tracking_no"]
    other = appeal_in(world, world.home_street, State.SUBMITTED)
    assert upload(client, own, png(), **bearer(raw)).status_code == 403
    assert upload(client, other.tracking_no, png(), **bearer(raw)).status_code == 404
    assert Appeal.all_objects.get(tracking_no=own).attachments.count() == 0
    assert stored(media) == []
