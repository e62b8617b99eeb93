"""Serving appeal photos. Files live outside the static files and are never linked directly: staff get a
photo only if they may see its appeal (`appeals_visible_to`: a handler only their own unit's), the worker
only for the appeals of the phone they verified (h5/following.py). Out of scope is a 404, like the
appeal itself."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from shegong.appeals.choices import AppealsPerm
from shegong.appeals.models import Attachment
from shegong.appeals.selectors import appeals_visible_to
from shegong.core.images import ALLOWED_FORMATS
from shegong.core.scoping import require_any_scope

_EXTENSIONS = dict(ALLOWED_FORMATS.values())  # content type → file extension
# The browser may keep a photo for a while, but only for this user (never a shared proxy); signed-in
# staff pages get no-store on top from the session middleware.
CACHE_SECONDS = 600


def attachment_response(attachment: Attachment) -> FileResponse:
    """The photo, shown in the browser, typed by what we stored (never sniffed)."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = _EXTENSIONS.get(attachment.content_type, "bin")
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=False,
        filename=f"photo-{attachment.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
    return response


@require_GET
@login_required
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """附件: a photo of an appeal the signed-in staff member may see."""
    require_any_scope(request.user, AppealsPerm.VIEW)
    found = (
        Attachment.objects.filter(pk=pk, appeal__in=appeals_visible_to(user=request.user).values("pk"))
        .select_related("appeal")
        .first()
    )
    if found is None:
        raise Http404
    return attachment_response(found)
