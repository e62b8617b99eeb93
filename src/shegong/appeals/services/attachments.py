"""Photos attached to appeals (at most `Attachment.MAX_PER_APPEAL`).

Validate first, then write: `validate_uploads(files)` checks every photo (shegong.core.images) and says
which ones are wrong before anything is stored; `attachment_add` stores one checked photo; and
`appeal_submit_with_photos` files an appeal and its photos in one transaction, so an appeal whose third
photo is bad is never created with two.

Stored files are named by a random id (never the uploader's file name) outside the static files and are
served only by the views in `appeals/files`, which check who is asking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext

from shegong.appeals.audit_actions import AppealsAction
from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Appeal, Attachment
from shegong.appeals.services import common as c
from shegong.appeals.services.intake import appeal_submit
from shegong.core import audit
from shegong.core.images import ImageRejected, ProcessedImage, process_image
from shegong.core.scoping import has_perm_on

__all__ = ["appeal_submit_with_photos", "attachment_add", "validate_uploads"]

_NAME_SHOWN = 40  # characters of an uploaded file's name quoted back in an error


def _too_many(existing: int = 0) -> ValidationError:
    limit = Attachment.MAX_PER_APPEAL
    if existing:
        message = gettext("An appeal can have at most {n} photos; it already has {have}.").format(
            n=limit, have=existing
        )
    else:
        message = gettext("You can add at most {n} photos.").format(n=limit)
    return ValidationError(message, code="too_many")


def validate_uploads(
    files: Iterable[Any], *, keep_location: bool = False, existing: int = 0
) -> list[ProcessedImage]:
    """Check every uploaded photo and return them ready to store, or raise one ValidationError naming
    each bad photo by its position ("photo 3 (x.pdf): …"). `existing`: photos the appeal already has."""
    files = list(files)
    if existing + len(files) > Attachment.MAX_PER_APPEAL:
        raise _too_many(existing)
    processed: list[ProcessedImage] = []
    errors: list[str] = []
    for position, upload in enumerate(files, start=1):
        try:
            processed.append(process_image(upload, keep_location=keep_location))
        except ImageRejected as exc:
            name = str(getattr(upload, "name", "") or "")[:_NAME_SHOWN]
            errors.append(
                gettext("Photo {n} ({name}): {reason}").format(n=position, name=name, reason=exc.messages[0])
            )
    if errors:
        raise ValidationError(errors, code="invalid_photo")
    return processed


def _require_may_attach(actor: Any, appeal: Appeal) -> None:
    """The worker (`actor=None`; the page or API verified the phone), intake over the appeal's division,
    or a handler of the unit the appeal is with."""
    if actor is None or has_perm_on(actor, AppealsPerm.INTAKE, appeal):
        return
    c.require_handler(actor, appeal)


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)


@transaction.atomic
def attachment_add(
    *, appeal: Appeal, upload: Any, actor: Any = None, keep_location: bool = False
) -> Attachment:
    """Attach one photo to an open appeal. `upload` is an uploaded file (checked here; `keep_location`
    keeps its GPS position) or a ProcessedImage from `validate_uploads`. Raises ValidationError for a bad
    photo or a full appeal, AppealConflict for a closed appeal, PermissionDenied for a staff member who
    may not act on the appeal."""
    image = (
        upload if isinstance(upload, ProcessedImage) else process_image(upload, keep_location=keep_location)
    )
    appeal = c.lock(appeal)
    _require_may_attach(actor, appeal)
    if not appeal.is_open:
        raise c.AppealConflict(gettext("Photos can be added only while the appeal is open."))
    existing = Attachment.objects.filter(appeal=appeal).count()
    if existing >= Attachment.MAX_PER_APPEAL:
        raise _too_many(existing)
    attachment = Attachment(
        appeal=appeal,
        content_type=image.content_type,
        size=image.size,
        width=image.width,
        height=image.height,
        sha256=image.sha256,
        location_kept=image.location_kept,
        uploaded_by=actor,
    )
    attachment.file.save(f"photo.{image.extension}", ContentFile(image.content), save=False)
    try:
        attachment.full_clean()
        attachment.save()
        audit.record(
            action=AppealsAction.ATTACHMENT_ADDED,
            actor=actor,
            actor_label="" if actor is not None else c.WORKER,
            target=appeal,
            changes={
                "attachment": attachment.pk,
                "content_type": image.content_type,
                "size": image.size,
                "sha256": image.sha256,
                "location_kept": image.location_kept,
            },
        )
    except BaseException:
        _delete_files([attachment.file.name])
        raise
    return attachment


def appeal_submit_with_photos(*, photos: list[ProcessedImage], **submit: Any) -> Appeal:
    """`appeal_submit(**submit)` and `attachment_add` for each checked photo, all or nothing: when any
    step fails the appeal is not created and the files already written are deleted again."""
    if len(photos) > Attachment.MAX_PER_APPEAL:
        raise _too_many()
    written: list[str] = []
    try:
        with transaction.atomic():
            appeal = appeal_submit(**submit)
            for image in photos:
                written.append(
                    attachment_add(appeal=appeal, upload=image, actor=submit.get("actor")).file.name
                )
    except BaseException:
        _delete_files(written)
        raise
    return appeal
